//! The FranceConnect-like provider (`tests/oidc/provider.mjs`, npm `oidc-provider`),
//! started for a test on 127.0.0.1 and stopped when dropped.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::app::{temp_dir, workspace};
use super::browser::{path_of, Browser};
use super::http::Resp;

pub struct Client {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub post_logout_redirect_uri: String,
}

pub struct Provider {
    pub addr: SocketAddr,
    pub issuer: String,
    child: Child,
}

impl Provider {
    pub fn start(clients: &[Client]) -> Provider {
        let dir = workspace().join("tests/oidc");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "tests/oidc/node_modules is missing: run `npm ci` in tests/oidc (deploy/dev/test.sh does)"
        );
        let config = serde_json::json!({
            "port": 0,
            "clients": clients.iter().map(|c| serde_json::json!({
                "client_id": c.client_id,
                "client_secret": c.client_secret,
                "redirect_uris": [c.redirect_uri],
                "post_logout_redirect_uris": [c.post_logout_redirect_uri],
            })).collect::<Vec<_>>(),
        });
        let path = temp_dir("oidc").join("config.json");
        std::fs::write(&path, config.to_string()).expect("config");
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut port = None;
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
                port = rest.trim().split('/').next().and_then(|p| p.parse::<u16>().ok());
                break;
            }
        }
        let port = port.expect("the provider announced its port");
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Provider {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            issuer: format!("http://127.0.0.1:{port}/api/v2"),
            child,
        }
    }

    /// A browser on the provider's site.
    pub fn browser(&self) -> Browser {
        Browser::new(self.addr, &format!("127.0.0.1:{}", self.addr.port()))
    }

    /// Plays the person at the provider: from the authorization URL to the redirect back
    /// to the relying party (the returned `Location`), choosing `login` on the form.
    pub fn authorize(&self, browser: &mut Browser, authorize_url: &str, login: &str) -> String {
        let mut resp: Resp = browser.get(&path_of(authorize_url));
        for _ in 0..10 {
            match resp.status {
                303 | 302 => {
                    let location = resp.header("location").expect("location").to_owned();
                    if !location.starts_with(&self.issuer) {
                        return location;
                    }
                    resp = browser.get(&path_of(&location));
                }
                200 => {
                    let action = form_action(&resp.body).expect("login form");
                    resp = browser.post(&path_of(&action), &[("login", login)]);
                }
                other => panic!("provider answered {other}: {}", resp.body),
            }
        }
        panic!("the provider never sent the browser back");
    }
}

fn form_action(html: &str) -> Option<String> {
    let start = html.find("action=\"")? + "action=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
