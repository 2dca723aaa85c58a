//! Headless Chromium through Debian's chromedriver (`/usr/bin/chromedriver`
//! and `/usr/bin/chromium`, or the paths in `CHROMEDRIVER` and `CHROMIUM`):
//! the driver process, a browser of a given size, signing in through the
//! sign-in page, and ending a test's browser steps with the page and the
//! server's logs when one failed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use thirtyfour::prelude::*;

/// A running chromedriver; killed when dropped.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Debian's chromedriver on a free port; returns once it says so.
pub fn chromedriver() -> (Driver, String) {
    let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "chromedriver not found at {path}: install Debian's chromium and chromium-driver (./scripts/test does)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(&path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "chromedriver exited");
        if line.contains("started successfully") {
            break;
        }
    }
    std::thread::spawn(move || {
        let mut sink = String::new();
        while out.read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
    });
    (Driver(child), format!("http://127.0.0.1:{port}"))
}

/// Headless Chromium's capabilities: a window `width` by `height` (at
/// least 500 wide, a headless window's least width), then `extra` arguments.
pub fn capabilities(width: u32, height: u32, extra: &[String]) -> thirtyfour::ChromeCapabilities {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(&std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()))
        .unwrap();
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ] {
        caps.add_arg(arg).unwrap();
    }
    caps.add_arg(&format!("--window-size={},{height}", width.max(500)))
        .unwrap();
    for arg in extra {
        caps.add_arg(arg).unwrap();
    }
    caps
}

/// Headless Chromium with a viewport `width` by `height` CSS pixels. Below
/// 500 px (a headless window's least width) it plays a phone: Chromium's
/// mobile emulation, as on a 390 px wide phone.
pub async fn browser_sized(driver_url: &str, width: u32, height: u32) -> WebDriver {
    let mut caps = capabilities(width, height, &[]);
    if width < 500 {
        caps.add_experimental_option(
            "mobileEmulation",
            serde_json::json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "mobile": true, "touch": true}}),
        )
        .unwrap();
    }
    WebDriver::new(driver_url, caps).await.unwrap()
}

/// Types `text` into the element `by` finds.
pub async fn fill(b: &WebDriver, by: By, text: &str) -> WebDriverResult<()> {
    b.find(by).await?.send_keys(text).await
}

/// Clicks the element `by` finds.
pub async fn click(b: &WebDriver, by: By) -> WebDriverResult<()> {
    b.find(by).await?.click().await
}

/// Waits for the element `by` finds.
pub async fn wait_for(b: &WebDriver, by: By) -> WebDriverResult<WebElement> {
    b.query(by).first().await
}

/// Waits for the element `by` finds, then clicks it.
pub async fn wait_and_click(b: &WebDriver, by: By) -> WebDriverResult<()> {
    wait_for(b, by).await?.click().await
}

/// Waits for the element `by` finds; its text.
pub async fn text_of(b: &WebDriver, by: By) -> WebDriverResult<String> {
    wait_for(b, by).await?.text().await
}

/// Clicks the button whose text is `text`.
pub async fn click_button(b: &WebDriver, text: &str) -> WebDriverResult<()> {
    click(b, By::XPath(format!("//button[text()='{text}']"))).await
}

/// Fills the form on the page (`email`, `password`) and submits it.
pub async fn submit_credentials(b: &WebDriver, email: &str, password: &str) -> WebDriverResult<()> {
    fill(b, By::Name("email"), email).await?;
    fill(b, By::Name("password"), password).await?;
    click(b, By::Css("button[type=submit]")).await
}

/// Answers the identity check's dialog with `password`, once it shows.
pub async fn confirm_identity(b: &WebDriver, password: &str) -> WebDriverResult<()> {
    wait_for(b, By::XPath("//h3[text()='Confirm your identity']")).await?;
    fill(b, By::Css(".dialog input[name=password]"), password).await?;
    click_button(b, "Confirm").await
}

/// Signs out with the page's "Sign out" button.
pub async fn sign_out(b: &WebDriver) -> WebDriverResult<()> {
    click_button(b, "Sign out").await
}

/// Signs in through the sign-in page at `url` and waits for the accounts.
pub async fn sign_in(b: &WebDriver, url: &str, email: &str, password: &str) -> WebDriverResult<()> {
    b.goto(&format!("{url}/login")).await?;
    submit_credentials(b, email, password).await?;
    wait_for(b, By::XPath("//h1[text()='Your accounts']")).await?;
    Ok(())
}

/// Ends `b` after a test's browser steps: quits it, and when a step failed
/// panics with the failure `what` names (as in "browser step failed"), the
/// page's HTML and the server's `logs`. The steps' value otherwise.
pub async fn finish<T>(
    b: WebDriver,
    result: WebDriverResult<T>,
    what: &str,
    logs: impl FnOnce() -> String,
) -> T {
    let html = b.source().await.unwrap_or_default();
    b.quit().await.ok();
    result.unwrap_or_else(|e| panic!("{what}: {e}\npage:\n{html}\nserver logs:\n{}", logs()))
}

/// Chromium (1280 by 900) with a chromedriver of its own, for one test.
pub struct Chromium {
    pub b: WebDriver,
    _driver: Driver,
}

impl Chromium {
    pub async fn start() -> Self {
        let (driver, driver_url) = chromedriver();
        let b = browser_sized(&driver_url, 1280, 900).await;
        Self { b, _driver: driver }
    }

    /// The browser's steps are done: see [`finish`] ("browser step failed").
    pub async fn finish<T>(self, result: WebDriverResult<T>, logs: impl FnOnce() -> String) -> T {
        finish(self.b, result, "browser step failed", logs).await
    }
}
