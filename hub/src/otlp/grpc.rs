//! OTLP over gRPC.
//!
//! The services are written against tonic's server primitives rather than
//! with the generated `*ServiceServer` types, because the generated code
//! decodes with `ProstCodec`, which answers a malformed message with
//! `INTERNAL`. OTLP asks for `INVALID_ARGUMENT`, and the hub counts every
//! rejected payload, so the codec here does both. Gzip-compressed messages
//! (the OpenTelemetry Collector's default) are accepted.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use prost::Message;
use tokio::net::TcpListener;
use tonic::codec::{
    Codec, CompressionEncoding, DecodeBuf, Decoder, EnabledCompressionEncodings, EncodeBuf, Encoder,
};
use tonic::codegen::{Body, BoxFuture, Service, StdError, http};
use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Status};

use super::{Logs, MAX_PAYLOAD_BYTES, Metrics, Signal, Traces};
use crate::hub::Hub;

/// Serves OTLP/gRPC (traces, metrics, logs) on `listener` until `shutdown`.
pub async fn serve_otlp_grpc(
    listener: TcpListener,
    hub: Arc<Hub>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    // Exports are often hundreds of KB: large HTTP/2 windows let one arrive
    // without waiting on window updates.
    tonic::transport::Server::builder()
        .initial_stream_window_size(Some(4 << 20))
        .initial_connection_window_size(Some(16 << 20))
        .add_service(GrpcExport::<Traces>::new(hub.clone()))
        .add_service(GrpcExport::<Metrics>::new(hub.clone()))
        .add_service(GrpcExport::<Logs>::new(hub))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

/// The gRPC service for one signal.
pub struct GrpcExport<S> {
    hub: Arc<Hub>,
    _signal: PhantomData<fn() -> S>,
}

impl<S> GrpcExport<S> {
    pub fn new(hub: Arc<Hub>) -> Self {
        Self {
            hub,
            _signal: PhantomData,
        }
    }
}

impl<S> Clone for GrpcExport<S> {
    fn clone(&self) -> Self {
        Self::new(self.hub.clone())
    }
}

impl<S: Signal> NamedService for GrpcExport<S> {
    const NAME: &'static str = S::SERVICE;
}

impl<S: Signal, B> Service<http::Request<B>> for GrpcExport<S>
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let is_export = req
            .uri()
            .path()
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(S::SERVICE))
            == Some("/Export");
        if !is_export {
            return Box::pin(async {
                Ok(Status::new(Code::Unimplemented, "no such method").into_http())
            });
        }
        let hub = self.hub.clone();
        Box::pin(async move {
            let codec = CountingCodec::<S> {
                hub: hub.clone(),
                _signal: PhantomData,
            };
            let mut accept = EnabledCompressionEncodings::default();
            accept.enable(CompressionEncoding::Gzip);
            let mut grpc = tonic::server::Grpc::new(codec)
                .apply_compression_config(accept, EnabledCompressionEncodings::default())
                .apply_max_message_size_config(Some(MAX_PAYLOAD_BYTES), None);
            Ok(grpc.unary(ExportSvc::<S>::new(hub), req).await)
        })
    }
}

/// Calls [`Signal::export`].
struct ExportSvc<S>(GrpcExport<S>);

impl<S> ExportSvc<S> {
    fn new(hub: Arc<Hub>) -> Self {
        Self(GrpcExport::new(hub))
    }
}

impl<S: Signal> tonic::server::UnaryService<S::Req> for ExportSvc<S> {
    type Response = S::Resp;
    type Future = BoxFuture<tonic::Response<S::Resp>, Status>;

    fn call(&mut self, req: tonic::Request<S::Req>) -> Self::Future {
        let hub = self.0.hub.clone();
        Box::pin(async move { Ok(tonic::Response::new(S::export(&hub, req.into_inner()))) })
    }
}

/// Protobuf codec whose decode errors are `INVALID_ARGUMENT` and counted.
struct CountingCodec<S> {
    hub: Arc<Hub>,
    _signal: PhantomData<fn() -> S>,
}

impl<S: Signal> Codec for CountingCodec<S> {
    type Encode = S::Resp;
    type Decode = S::Req;
    type Encoder = ProtoEncoder<S::Resp>;
    type Decoder = CountingDecoder<S::Req>;

    fn encoder(&mut self) -> Self::Encoder {
        ProtoEncoder(PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        CountingDecoder {
            hub: self.hub.clone(),
            _msg: PhantomData,
        }
    }
}

struct ProtoEncoder<T>(PhantomData<fn(T)>);

impl<T: Message> Encoder for ProtoEncoder<T> {
    type Item = T;
    type Error = Status;

    fn encode(&mut self, item: T, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(buf)
            .map_err(|e| Status::internal(format!("encoding the response: {e}")))
    }
}

struct CountingDecoder<T> {
    hub: Arc<Hub>,
    _msg: PhantomData<fn() -> T>,
}

impl<T: Message + Default> Decoder for CountingDecoder<T> {
    type Item = T;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<T>, Status> {
        match T::decode(buf) {
            Ok(m) => Ok(Some(m)),
            Err(e) => {
                self.hub.count_rejected();
                Err(Status::invalid_argument(format!(
                    "malformed OTLP protobuf payload: {e}"
                )))
            }
        }
    }
}
