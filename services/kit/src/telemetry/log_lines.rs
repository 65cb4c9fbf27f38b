//! The log lines a process writes (stderr or its log file), text or JSON,
//! each with the trace and span it was logged in.
//!
//! The fmt layer sees events only ([`EventsOnly`]): it never formats a
//! span's fields, which tracing-subscriber otherwise does for every span
//! when it is created and again on every `record`, logged in or not (that
//! was several per cent of a service's CPU under load). A line's trace
//! and span come from the OpenTelemetry context the tracing layer makes
//! current while a span is entered, read only when a line is written.
//!
//! ```text
//! text: 2026-12-01T18:20:00.123456Z  INFO chaoslab_kit::http: listening addr=127.0.0.1:8080 trace_id=… span_id=…
//! json: {"timestamp":"…","level":"INFO","target":"…","fields":{"message":"listening","addr":"…"},"trace_id":"…","span_id":"…"}
//! ```

use std::fmt::{self, Write as _};

use opentelemetry::trace::TraceContextExt;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// A layer that passes only events to `L` (no span is created, entered,
/// recorded or closed in it).
pub struct EventsOnly<L>(pub L);

impl<S: Subscriber, L: Layer<S>> Layer<S> for EventsOnly<L> {
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        self.0.on_event(event, ctx);
    }
}

/// One line per event: text (`json: false`) or a JSON object.
pub struct Line {
    pub json: bool,
}

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut time = String::new();
        SystemTime.format_time(&mut Writer::new(&mut time))?;
        let ids = current_ids();
        if self.json {
            let mut line = Map::new();
            line.insert("timestamp".into(), Value::String(time));
            line.insert("level".into(), Value::String(meta.level().to_string()));
            line.insert("target".into(), Value::String(meta.target().into()));
            line.insert(
                "fields".into(),
                Value::Object(fields.0.into_iter().collect()),
            );
            if let Some((trace, span)) = ids {
                line.insert("trace_id".into(), Value::String(trace));
                line.insert("span_id".into(), Value::String(span));
            }
            return writeln!(w, "{}", Value::Object(line));
        }
        write!(w, "{time} {:>5} {}:", meta.level(), meta.target())?;
        // The message first, then the other fields as `name=value`.
        let (message, rest): (Vec<_>, Vec<_>) = fields.0.iter().partition(|(n, _)| n == "message");
        for (name, value) in message.into_iter().chain(rest) {
            match (name.as_str(), value) {
                ("message", Value::String(s)) => write!(w, " {s}")?,
                (_, Value::String(s)) => write!(w, " {name}={s}")?,
                (_, v) => write!(w, " {name}={v}")?,
            }
        }
        if let Some((trace, span)) = ids {
            write!(w, " trace_id={trace} span_id={span}")?;
        }
        writeln!(w)
    }
}

/// The trace and span of the OpenTelemetry context now current, if valid.
fn current_ids() -> Option<(String, String)> {
    let cx = opentelemetry::Context::current();
    let sc = cx.span().span_context().clone();
    sc.is_valid()
        .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
}

/// An event's fields in the order logged.
#[derive(Default)]
struct Fields(Vec<(String, Value)>);

impl Fields {
    fn insert(&mut self, name: &str, value: Value) {
        self.0.push((name.to_string(), value));
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{value:?}");
        self.insert(field.name(), Value::String(s));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field.name(), Value::String(value.into()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field.name(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field.name(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.insert(field.name(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field.name(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;

    /// Captures what the fmt layer writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A field formatter that counts what it is asked to format.
    struct Counting(Arc<std::sync::atomic::AtomicUsize>);

    impl<'w> FormatFields<'w> for Counting {
        fn format_fields<R: tracing_subscriber::field::RecordFields>(
            &self,
            _: Writer<'w>,
            _: R,
        ) -> fmt::Result {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
    }

    #[test]
    fn spans_are_never_formatted_for_the_log() {
        let formatted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let subscriber = tracing_subscriber::registry().with(EventsOnly(
            tracing_subscriber::fmt::layer()
                .fmt_fields(Counting(formatted.clone()))
                .with_writer(std::io::sink),
        ));
        tracing::subscriber::with_default(subscriber, || {
            let span =
                tracing::info_span!("HTTP request", route = "/x", status = tracing::field::Empty);
            span.record("status", 200);
            let _in = span.enter();
        });
        assert_eq!(formatted.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    fn lines(json: bool, log: impl FnOnce()) -> String {
        use opentelemetry::trace::TracerProvider as _;
        let out = Captured::default();
        let sink = out.clone();
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
            .with(EventsOnly(
                tracing_subscriber::fmt::layer()
                    .event_format(Line { json })
                    .with_writer(move || sink.clone()),
            ));
        tracing::subscriber::with_default(subscriber, log);
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_text_line_has_its_fields_and_the_trace_it_was_logged_in() {
        let out = lines(false, || {
            let span = tracing::info_span!("HTTP request");
            let _in = span.enter();
            tracing::info!(addr = %"127.0.0.1:9", tries = 3, "listening");
        });
        assert!(out.contains(" INFO "), "{out}");
        assert!(
            out.contains(": listening addr=127.0.0.1:9 tries=3 trace_id="),
            "{out}"
        );
        let trace = out.split("trace_id=").nth(1).unwrap();
        assert_eq!(trace.split(' ').next().unwrap().len(), 32, "{out}");
        assert_eq!(out.lines().count(), 1, "{out}");
    }

    #[test]
    fn a_json_line_is_one_object_and_outside_a_span_has_no_trace() {
        let out = lines(true, || tracing::warn!(addr = %"127.0.0.1:9", "up"));
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["fields"]["message"], "up");
        assert_eq!(v["fields"]["addr"], "127.0.0.1:9");
        assert!(v.get("trace_id").is_none(), "no span, no trace: {v}");
    }
}
