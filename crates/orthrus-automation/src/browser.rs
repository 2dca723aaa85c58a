//! Debian's Chromium driven through Debian's chromedriver (never a
//! downloaded driver): headless, a realistic user agent, and a profile
//! directory the caller keeps between jobs so the app sees a known device.
//!
//! The browser opens pages that strangers control, so it is fenced in:
//! every connection goes through the [`EgressProxy`] (no internal address,
//! no control port), and Chromium keeps its own sandbox: a server running
//! as root starts it as an unprivileged user (`automation.browser_user`,
//! `nobody` by default), since Chromium's sandbox refuses root.

use crate::egress_proxy::EgressProxy;
use orthrus_app::egress::Egress;
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
    /// Where the browser may connect.
    pub egress: Egress,
    /// The user Chromium runs as when this process is root (None: `nobody`).
    pub run_as: Option<String>,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            chromedriver: std::env::var_os("CHROMEDRIVER")
                .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from),
            chromium: std::env::var_os("CHROMIUM")
                .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36".into(),
            egress: Egress::default(),
            run_as: None,
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
    /// The browser's only way out; it stops with the browser.
    proxy: EgressProxy,
    /// Whether Chromium runs with its sandbox.
    sandboxed: bool,
    /// chromedriver's port.
    driver_port: u16,
    /// The profile, handed back to this process's user on quit when the
    /// browser ran as another one.
    reclaim: Option<PathBuf>,
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

/// A system user to run Chromium as: name, uid, gid.
#[derive(Clone, Debug)]
struct SystemUser {
    uid: u32,
    gid: u32,
}

/// This process's effective user id (from `/proc`, without `unsafe`).
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn lookup_user(name: &str) -> Option<SystemUser> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then_some(())?;
        let _password = f.next()?;
        let uid = f.next()?.parse().ok()?;
        let gid = f.next()?.parse().ok()?;
        Some(SystemUser { uid, gid })
    })
}

/// Gives `dir` and everything in it to `uid:gid` without following links
/// (`lchown`): to the browser's user before it runs, back to this process's
/// user after, so that nothing the browser's user runs can swap a file for
/// a link while the profile is packed.
fn give_to(dir: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(dir, Some(uid), Some(gid))?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            give_to(&entry.path(), uid, gid)?;
        } else {
            std::os::unix::fs::lchown(entry.path(), Some(uid), Some(gid))?;
        }
    }
    Ok(())
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium whose
    /// profile lives in `profile_dir`, behind its egress proxy. Chromium
    /// keeps its sandbox where the machine allows it; where it cannot start
    /// with it (no user namespaces), it starts without and says so.
    pub async fn launch(opts: &BrowserOptions, profile_dir: &Path) -> Result<Self, BrowserError> {
        // thirtyfour's HTTP client needs a TLS provider even for localhost.
        let _ = rustls::crypto::ring::default_provider().install_default();
        if !opts.chromedriver.exists() {
            return Err(BrowserError::NoDriver(
                opts.chromedriver.display().to_string(),
            ));
        }
        clear_stale_lock(profile_dir).await;
        let user = if effective_uid() == Some(0) {
            let name = opts.run_as.as_deref().unwrap_or("nobody");
            let u = lookup_user(name).filter(|u| u.uid != 0);
            if u.is_none() {
                tracing::warn!(
                    user = name,
                    "no such unprivileged user: Chromium runs as root, without its sandbox"
                );
            }
            u
        } else {
            None
        };
        if let Some(u) = &user {
            give_to(profile_dir, u.uid, u.gid).map_err(|e| {
                BrowserError::DriverStart(format!(
                    "cannot hand the profile to the browser's user: {e}"
                ))
            })?;
        }
        let sandbox_possible = user.is_some() || effective_uid() != Some(0);
        if sandbox_possible {
            match Self::start(opts, profile_dir, user.as_ref(), true).await {
                Ok(b) => return Ok(b),
                Err(e) => {
                    tracing::warn!(error = %e, "Chromium did not start with its sandbox; starting it without");
                }
            }
        }
        Self::start(opts, profile_dir, user.as_ref(), false).await
    }

    async fn start(
        opts: &BrowserOptions,
        profile_dir: &Path,
        user: Option<&SystemUser>,
        sandboxed: bool,
    ) -> Result<Self, BrowserError> {
        let proxy = EgressProxy::start(opts.egress.clone()).await.map_err(|e| {
            BrowserError::DriverStart(format!("the egress proxy did not start: {e}"))
        })?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| BrowserError::DriverStart(e.to_string()))?
            .port();
        proxy.deny_loopback_port(port);
        let mut cmd = tokio::process::Command::new(&opts.chromedriver);
        // chromedriver takes only local connections; pages cannot reach it
        // either, since the proxy refuses its port.
        cmd.arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .process_group(0);
        if let Some(u) = user {
            cmd.uid(u.uid).gid(u.gid).env("HOME", profile_dir);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| BrowserError::DriverStart(e.to_string()))?;
        let group = child.id();
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
            if let Some(g) = group {
                kill_group(g);
            }
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
        let mut args = vec![
            "--headless=new".to_owned(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=1280,900".into(),
            "--lang=en-US".into(),
            // Every connection through the egress proxy, loopback included
            // (`<-loopback>` removes Chromium's implicit bypass), no QUIC
            // and no WebRTC UDP around it.
            format!("--proxy-server=http://{}", proxy.addr()),
            "--proxy-bypass-list=<-loopback>".into(),
            "--disable-quic".into(),
            "--force-webrtc-ip-handling-policy=disable_non_proxied_udp".into(),
            "--webrtc-ip-handling-policy=disable_non_proxied_udp".into(),
            format!("--user-agent={}", opts.user_agent),
            format!("--user-data-dir={}", profile_dir.display()),
        ];
        if !sandboxed {
            args.push("--no-sandbox".into());
        }
        for arg in &args {
            caps.add_arg(arg).map_err(session)?;
        }
        let driver = match WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await {
            Ok(d) => d,
            Err(e) => {
                if let Some(g) = group {
                    kill_group(g);
                }
                return Err(session(e));
            }
        };
        // Chromium's DevTools port is as much a control port as chromedriver's.
        if let Some(p) = std::fs::read_to_string(profile_dir.join("DevToolsActivePort"))
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<u16>().ok()))
        {
            proxy.deny_loopback_port(p);
        }
        Ok(Self {
            driver: Some(driver),
            group,
            chromedriver: child,
            proxy,
            sandboxed,
            driver_port: port,
            reclaim: user.map(|_| profile_dir.to_path_buf()),
        })
    }

    /// Whether Chromium runs with its sandbox.
    pub fn sandboxed(&self) -> bool {
        self.sandboxed
    }

    /// chromedriver's port on 127.0.0.1.
    pub fn driver_port(&self) -> u16 {
        self.driver_port
    }

    /// The process group of chromedriver and its Chromium.
    pub fn process_group(&self) -> Option<u32> {
        self.group
    }

    /// What the egress proxy refused so far.
    pub fn refused(&self) -> Vec<String> {
        self.proxy.refused()
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
        if let Some(dir) = self.reclaim.take() {
            let me = std::fs::metadata("/proc/self").map(|m| {
                use std::os::unix::fs::MetadataExt;
                (m.uid(), m.gid())
            });
            if let Ok((uid, gid)) = me
                && let Err(e) = give_to(&dir, uid, gid)
            {
                tracing::warn!(error = %e, "could not take the browser profile back from the browser's user");
            }
        }
    }
}
