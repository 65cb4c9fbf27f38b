//! The HTTP side of the bench: a small HTTP/1.1 server answering
//! `GET /b/{size}` with that many bytes, and keep-alive client connections
//! (hyper's own client connection, no pool) for [`super::load::drive_conns`].

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::LazyLock;

use axum::{Router, extract::Path, routing::get};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::load::Conn;

static BODY: LazyLock<Bytes> = LazyLock::new(|| Bytes::from(vec![b'x'; 1 << 20]));

/// The HTTP server on 127.0.0.1:0, until `cancel`.
pub async fn http_server(cancel: CancellationToken) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new().route(
        "/b/{size}",
        get(|Path(size): Path<usize>| async move { BODY.slice(..size.min(BODY.len())) }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { cancel.cancelled().await })
            .await;
    });
    Ok(addr)
}

/// One keep-alive HTTP/1.1 connection asking for `size` bytes each time.
/// Its hyper connection is driven in the requesting task itself (not a
/// task of its own), so an answer wakes one task, as the tcp client does.
pub struct HttpConn {
    sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    conn: Pin<Box<hyper::client::conn::http1::Connection<TokioIo<TcpStream>, Empty<Bytes>>>>,
    path: String,
    host: String,
}

impl HttpConn {
    pub async fn open(addr: &str, size: usize) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        Ok(Self {
            sender,
            conn: Box::pin(conn),
            path: format!("/b/{size}"),
            host: addr.to_string(),
        })
    }
}

impl Conn for HttpConn {
    async fn request(&mut self) -> std::io::Result<()> {
        let Self {
            sender,
            conn,
            path,
            host,
        } = self;
        let exchange = async {
            sender.ready().await.map_err(std::io::Error::other)?;
            let req = hyper::Request::get(path.as_str())
                .header(hyper::header::HOST, host.as_str())
                .body(Empty::new())
                .map_err(std::io::Error::other)?;
            let resp = sender
                .send_request(req)
                .await
                .map_err(std::io::Error::other)?;
            if !resp.status().is_success() {
                return Err(std::io::Error::other(format!("answered {}", resp.status())));
            }
            let mut body = resp.into_body();
            while let Some(frame) = body.frame().await {
                frame.map_err(std::io::Error::other)?;
            }
            Ok(())
        };
        tokio::select! {
            biased;
            done = exchange => done,
            ended = conn.as_mut() => Err(std::io::Error::other(match ended {
                Ok(()) => "the connection closed".to_string(),
                Err(e) => e.to_string(),
            })),
        }
    }
}

/// `connections` HTTP clients of `addr` asking for `size` bytes, for `duration`.
pub async fn drive_http(
    addr: &str,
    connections: usize,
    size: usize,
    duration: std::time::Duration,
) -> std::io::Result<super::load::Run> {
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        conns.push(HttpConn::open(addr, size).await?);
    }
    super::load::drive_conns(conns, duration).await
}
