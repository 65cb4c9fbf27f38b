//! nginx proxies for the bench to compare against, when nginx is installed:
//! a `stream` proxy (TCP, as the agent's tcp mode) and an HTTP reverse
//! proxy with upstream keep-alive (as the agent's http mode). Each is
//! started with its own config in a scratch directory, in a process group
//! of its own: dropping it kills the group (master and workers; a killed
//! master alone leaves its workers running), and the kernel sends the master
//! SIGTERM (its fast shutdown, which stops the workers) if the bench dies.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::process::Child;

/// A running nginx.
pub struct Nginx {
    child: Child,
    dir: PathBuf,
    /// Where it listens.
    pub addr: String,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn find() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
}

/// nginx proxying TCP to `upstream`, or `None` when it is not installed
/// (with its stream module) or does not come up.
pub async fn start(upstream: SocketAddr) -> Option<Nginx> {
    start_with(|port| {
        format!(
            "stream {{ server {{ listen 127.0.0.1:{port}; proxy_pass {upstream}; tcp_nodelay on; }} }}\n"
        )
    })
    .await
}

/// nginx as an HTTP/1.1 reverse proxy to `upstream`, keeping upstream
/// connections alive (as the agent's http mode does).
pub async fn start_http(upstream: SocketAddr) -> Option<Nginx> {
    start_with(|port| {
        format!(
            "http {{ access_log off; upstream backend {{ server {upstream}; keepalive 128; }} \
             server {{ listen 127.0.0.1:{port}; keepalive_requests 1000000; \
             location / {{ proxy_pass http://backend; proxy_http_version 1.1; \
             proxy_set_header Connection \"\"; proxy_buffering on; }} }} }}\n"
        )
    })
    .await
}

async fn start_with(block: impl Fn(u16) -> String) -> Option<Nginx> {
    let binary = find()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let dir = std::env::temp_dir().join(format!(
        "chaoslab-bench-nginx-{}-{port}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).ok()?;
    let module = [
        "/usr/lib/nginx/modules/ngx_stream_module.so",
        "/usr/lib64/nginx/modules/ngx_stream_module.so",
    ]
    .into_iter()
    .find(|m| Path::new(m).is_file())
    .map(|m| format!("load_module {m};\n"))
    .unwrap_or_default();
    let d = dir.display();
    let conf = format!(
        "{module}worker_processes auto;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 4096; }}\n{}",
        block(port)
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).ok()?;
    let child = chaoslab_kit::process::dying_with_parent(binary, "SIGTERM")
        .process_group(0)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(&conf_path)
        .args(["-g", "daemon off;"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let nginx = Nginx {
        child,
        dir,
        addr: format!("127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if TcpStream::connect(&nginx.addr).await.is_ok() {
            return Some(nginx);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}
