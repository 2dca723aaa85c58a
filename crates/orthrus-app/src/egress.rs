//! Where the server may connect for an automation: a host is resolved, and
//! every address it resolves to must be public unless the operator allowed
//! it (`automation.allowed_private_hosts`). Callers connect to the addresses
//! returned by [`Egress::check`], never to the name again, so a name that
//! answers differently the second time cannot reach an internal address.

use orthrus_core::egress::{PrivateHostAllowList, is_internal};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Name resolution, replaceable in tests ("resolution the test controls").
pub trait Resolve: Send + Sync {
    fn lookup(
        &self,
        host: String,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>;
}

/// The operating system's resolver.
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn lookup(
        &self,
        host: String,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>> {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect())
        })
    }
}

/// Fixed answers for some names, the system's for the rest.
pub struct StaticResolver(pub HashMap<String, Vec<IpAddr>>);

impl Resolve for StaticResolver {
    fn lookup(
        &self,
        host: String,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>> {
        match self.0.get(&host.to_ascii_lowercase()) {
            Some(ips) => {
                let out = ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
                Box::pin(async move { Ok(out) })
            }
            None => SystemResolver.lookup(host, port),
        }
    }
}

/// Why a destination was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EgressRefusal {
    #[error(
        "{host} resolves to the internal address {addr}, which is not in automation.allowed_private_hosts"
    )]
    Internal { host: String, addr: IpAddr },
    #[error("{host}:{port} is the browser's own control port")]
    ControlPort { host: String, port: u16 },
    #[error("{host} could not be resolved: {reason}")]
    Unresolvable { host: String, reason: String },
}

/// The egress rule, shared by the account checks and the automation browser.
#[derive(Clone)]
pub struct Egress {
    allow: Arc<PrivateHostAllowList>,
    resolver: Arc<dyn Resolve>,
}

impl Default for Egress {
    /// Nothing internal allowed, the system's resolver.
    fn default() -> Self {
        Self::new(PrivateHostAllowList::default(), Arc::new(SystemResolver))
    }
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Egress")
            .field("allow", &self.allow)
            .finish_non_exhaustive()
    }
}

/// A resolver that does not answer within this is taken as failed.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

impl Egress {
    pub fn new(allow: PrivateHostAllowList, resolver: Arc<dyn Resolve>) -> Self {
        Self {
            allow: Arc::new(allow),
            resolver,
        }
    }

    /// The addresses to connect to for `host:port`, each one checked.
    /// Refused when any address is internal and not allowed: a name that
    /// mixes public and internal answers is refused whole, so the choice of
    /// address cannot be steered.
    pub async fn check(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, EgressRefusal> {
        let host = host
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let addrs = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => {
                let unresolvable = |reason: String| EgressRefusal::Unresolvable {
                    host: host.clone(),
                    reason,
                };
                let found =
                    tokio::time::timeout(LOOKUP_TIMEOUT, self.resolver.lookup(host.clone(), port))
                        .await
                        .map_err(|_| unresolvable("the resolver did not answer in time".into()))?
                        .map_err(|e| unresolvable(e.to_string()))?;
                if found.is_empty() {
                    return Err(unresolvable("no addresses".into()));
                }
                found
            }
        };
        for a in &addrs {
            if is_internal(a.ip()) && !self.allow.permits(&host, a.ip(), port) {
                return Err(EgressRefusal::Internal { host, addr: a.ip() });
            }
        }
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(allow: &[&str], names: &[(&str, &str)]) -> Egress {
        let map = names
            .iter()
            .map(|(n, a)| ((*n).to_owned(), vec![a.parse().unwrap()]))
            .collect();
        Egress::new(
            PrivateHostAllowList::parse(allow.iter().copied()).unwrap(),
            Arc::new(StaticResolver(map)),
        )
    }

    #[tokio::test]
    async fn internal_names_and_literals_are_refused_unless_allowed() {
        let e = with(&[], &[("rebind.test", "127.0.0.1")]);
        for (h, p) in [
            ("127.0.0.1", 80),
            ("[::1]", 443),
            ("localhost", 80),
            ("rebind.test", 8080),
        ] {
            assert!(
                matches!(e.check(h, p).await, Err(EgressRefusal::Internal { .. })),
                "{h}"
            );
        }
        let e = with(&["127.0.0.1:8080"], &[("rebind.test", "127.0.0.1")]);
        assert_eq!(e.check("rebind.test", 8080).await.unwrap().len(), 1);
        assert!(e.check("rebind.test", 8081).await.is_err());
    }
}
