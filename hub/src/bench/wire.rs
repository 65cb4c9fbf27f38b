//! Senders of pre-encoded OTLP trace exports for the bench: gRPC through
//! tonic's client with a pass-through codec, HTTP through reqwest.

use std::net::SocketAddr;

use bytes::{Buf, BufMut};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Request, Status};

const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// One connection's sender.
pub enum Sender {
    Grpc(tonic::client::Grpc<Channel>),
    Http(reqwest::Client, String),
}

/// `connections` senders to the hub at `addr`, each on its own connection.
pub async fn connect(
    grpc: bool,
    addr: SocketAddr,
    connections: usize,
) -> Result<Vec<Sender>, String> {
    let mut out = Vec::with_capacity(connections);
    for _ in 0..connections {
        if grpc {
            let ch = Channel::from_shared(format!("http://{addr}"))
                .map_err(|e| e.to_string())?
                .tcp_nodelay(true)
                .connect()
                .await
                .map_err(|e| format!("gRPC connect: {e}"))?;
            out.push(Sender::Grpc(
                tonic::client::Grpc::new(ch).max_encoding_message_size(64 << 20),
            ));
        } else {
            let c = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .map_err(|e| e.to_string())?;
            out.push(Sender::Http(c, format!("http://{addr}/v1/traces")));
        }
    }
    Ok(out)
}

impl Sender {
    /// Sends every payload in order, one at a time.
    pub async fn send_all(self, payloads: Vec<Vec<u8>>) -> Result<(), String> {
        match self {
            Sender::Grpc(mut g) => {
                for p in payloads {
                    g.ready().await.map_err(|e| e.to_string())?;
                    g.unary::<Vec<u8>, (), _>(
                        Request::new(p),
                        http::uri::PathAndQuery::from_static(EXPORT),
                        RawCodec,
                    )
                    .await
                    .map_err(|e| format!("gRPC export: {e}"))?;
                }
            }
            Sender::Http(c, url) => {
                for p in payloads {
                    let r = c
                        .post(&url)
                        .header("content-type", "application/x-protobuf")
                        .body(p)
                        .send()
                        .await
                        .map_err(|e| format!("HTTP export: {e}"))?;
                    if !r.status().is_success() {
                        return Err(format!("HTTP export answered {}", r.status()));
                    }
                    let _ = r.bytes().await;
                }
            }
        }
        Ok(())
    }
}

/// Sends `body` as it is (already-encoded, or deliberately malformed) as
/// one gRPC trace export to `addr`; returns the server's gRPC status.
pub async fn grpc_raw_export(addr: SocketAddr, body: Vec<u8>) -> Result<(), Status> {
    let ch = Channel::from_shared(format!("http://{addr}"))
        .map_err(|e| Status::invalid_argument(e.to_string()))?
        .connect()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut g = tonic::client::Grpc::new(ch);
    g.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    g.unary::<Vec<u8>, (), _>(
        Request::new(body),
        http::uri::PathAndQuery::from_static(EXPORT),
        RawCodec,
    )
    .await
    .map(|_| ())
}

/// Sends bytes as they are; ignores the response body.
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }
    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = ();
    type Error = Status;
    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<()>, Status> {
        buf.advance(buf.remaining());
        Ok(Some(()))
    }
}
