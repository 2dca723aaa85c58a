//! Debian's Chromium driven through Debian's chromedriver (never a
//! downloaded driver): headless, a realistic user agent, and a profile
//! directory the caller keeps between jobs so the app sees a known device.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use thirtyfour::prelude::*;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Where the programs are and how the browser presents itself.
#[derive(Clone, Debug)]
pub struct BrowserOptions {
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
    /// The user agent Chromium sends; headless Chromium's own says
    /// "HeadlessChrome", which apps treat as a bot.
    pub user_agent: String,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            chromedriver: std::env::var_os("CHROMEDRIVER")
                .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from),
            chromium: std::env::var_os("CHROMIUM")
                .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36".into(),
        }
    }
}

/// A running browser: chromedriver and its Chromium session, in a process
/// group of their own so that both always go away together.
pub struct Browser {
    driver: Option<WebDriver>,
    chromedriver: tokio::process::Child,
    /// The process group (chromedriver's pid), killed on quit and on drop.
    group: Option<u32>,
}

/// Kills a process group (chromedriver and every Chromium it started).
fn kill_group(group: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A browser not closed with `quit` (an error, a panic, a timeout)
        // must not outlive its job.
        if let Some(g) = self.group.take() {
            kill_group(g);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "chromedriver is not installed at {0} (Debian: apt-get install chromium chromium-driver)"
    )]
    NoDriver(String),
    #[error("chromedriver did not start: {0}")]
    DriverStart(String),
    #[error("Chromium did not start: {0}")]
    Session(String),
}

/// A worker that died mid-job (killed, crashed) leaves its Chromium
/// running with the profile locked, and the next attempt's Chromium exits
/// at once. The lock names the owner (`host-pid`): if it is a Chromium on
/// this machine, it is an orphan (the job's lease ran out, so no live
/// worker runs this account), and it is stopped with its chromedriver.
pub async fn clear_stale_lock(profile_dir: &Path) {
    let lock = profile_dir.join("SingletonLock");
    let Ok(target) = std::fs::read_link(&lock) else {
        return;
    };
    let target = target.to_string_lossy().into_owned();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let pid = target
        .rsplit_once('-')
        .filter(|(h, _)| *h == host.trim())
        .and_then(|(_, p)| p.parse::<u32>().ok());
    if let Some(pid) = pid {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        let comm = std::fs::read_to_string(proc_dir.join("comm")).unwrap_or_default();
        if comm.trim().starts_with("chrom") {
            // Its parent is the orphaned chromedriver, when there is one.
            let parent = std::fs::read_to_string(proc_dir.join("stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .and_then(|(_, rest)| rest.split_whitespace().nth(1).map(str::to_owned))
                })
                .filter(|ppid| {
                    std::fs::read_to_string(format!("/proc/{ppid}/comm"))
                        .is_ok_and(|c| c.trim() == "chromedriver")
                });
            tracing::warn!(
                pid,
                "stopping an orphaned Chromium that holds this account's profile"
            );
            let mut kill = tokio::process::Command::new("kill");
            kill.arg("-KILL").arg(pid.to_string());
            if let Some(p) = &parent {
                kill.arg(p);
            }
            let _ = kill.status().await;
            for _ in 0..50 {
                if !proc_dir.exists() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    for f in ["SingletonLock", "SingletonSocket", "SingletonCookie"] {
        let _ = std::fs::remove_file(profile_dir.join(f));
    }
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium whose
    /// profile lives in `profile_dir`.
    pub async fn launch(opts: &BrowserOptions, profile_dir: &Path) -> Result<Self, BrowserError> {
        // thirtyfour's HTTP client needs a TLS provider even for localhost.
        let _ = rustls::crypto::ring::default_provider().install_default();
        if !opts.chromedriver.exists() {
            return Err(BrowserError::NoDriver(
                opts.chromedriver.display().to_string(),
            ));
        }
        clear_stale_lock(profile_dir).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| BrowserError::DriverStart(e.to_string()))?
            .port();
        let mut child = tokio::process::Command::new(&opts.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .process_group(0)
            .spawn()
            .map_err(|e| BrowserError::DriverStart(e.to_string()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BrowserError::DriverStart("no stdout".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), async {
            while let Ok(Some(l)) = lines.next_line().await {
                if l.contains("started successfully") {
                    return true;
                }
            }
            false
        })
        .await;
        if ready != Ok(true) {
            return Err(BrowserError::DriverStart(
                "it did not say it was ready".into(),
            ));
        }
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let mut caps = DesiredCapabilities::chrome();
        let session = |e: WebDriverError| BrowserError::Session(e.to_string());
        caps.set_binary(&opts.chromium.display().to_string())
            .map_err(session)?;
        for arg in [
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=1280,900".into(),
            "--lang=en-US".into(),
            format!("--user-agent={}", opts.user_agent),
            format!("--user-data-dir={}", profile_dir.display()),
        ] {
            caps.add_arg(&arg).map_err(session)?;
        }
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
            .await
            .map_err(session)?;
        Ok(Self {
            driver: Some(driver),
            group: child.id(),
            chromedriver: child,
        })
    }

    pub fn driver(&self) -> Option<&WebDriver> {
        self.driver.as_ref()
    }

    /// Closes Chromium (writing its profile to disk) and chromedriver.
    pub async fn quit(mut self) {
        if let Some(d) = self.driver.take() {
            // A hung browser does not hold the job: the group is killed next.
            let _ = tokio::time::timeout(Duration::from_secs(20), d.quit()).await;
        }
        let _ = self.chromedriver.kill().await;
        if let Some(g) = self.group.take() {
            kill_group(g);
        }
    }
}
