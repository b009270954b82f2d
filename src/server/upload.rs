//! A streamed upload handed from the async handler to blocking import code:
//! the handler pumps the request body into a channel ([`pump`]), the
//! blocking side reads it as `std::io::Read` ([`BodyReader`]). Shared by
//! `POST /api/v1/import` and `POST /api/v1/units/import`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::{Body, Bytes};
use futures_util::StreamExt;

type Chunk = std::io::Result<Bytes>;

/// The error a body that stopped short reads as.
pub(crate) const NOT_WHOLE: &str = "the request body did not arrive whole";

/// Blocking `Read` over the chunks [`pump`] sends. The channel's close is
/// the end of file only when the pump saw the body end; a channel closed
/// otherwise (the handler was dropped: a timeout, a client that left) is an
/// error, so a partial upload is never committed.
pub(crate) struct BodyReader {
    rx: tokio::sync::mpsc::Receiver<Chunk>,
    chunk: Bytes,
    whole: Arc<AtomicBool>,
}

/// The sending half, for [`pump`].
pub(crate) struct BodySender {
    tx: tokio::sync::mpsc::Sender<Chunk>,
    whole: Arc<AtomicBool>,
}

/// A connected sender and reader.
pub(crate) fn channel() -> (BodySender, BodyReader) {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let whole = Arc::new(AtomicBool::new(false));
    (
        BodySender {
            tx,
            whole: whole.clone(),
        },
        BodyReader {
            rx,
            chunk: Bytes::new(),
            whole,
        },
    )
}

impl std::io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => return Err(e),
                None if self.whole.load(Ordering::SeqCst) => return Ok(0),
                None => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        NOT_WHOLE,
                    ));
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk = self.chunk.slice(n..);
        Ok(n)
    }
}

/// Sends `body` to the reader, at most `limit` bytes; true when the body
/// was over the limit (the reader got an error instead of its end). A
/// broken transfer reaches the reader as "reading the upload: …". When the
/// reader stops early (a parse error: its error is the answer), the rest
/// of the body, within the limit, is read and dropped, so that the client
/// gets that answer instead of a reset connection while still sending.
pub(crate) async fn pump(body: Body, to: BodySender, limit: u64) -> bool {
    let BodySender { tx, whole } = to;
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    loop {
        let Some(chunk) = stream.next().await else {
            // The body ended where it said it would.
            whole.store(true, Ordering::SeqCst);
            return false;
        };
        let item = match chunk {
            Ok(b) => {
                total += b.len() as u64;
                if total > limit {
                    let _ = tx
                        .send(Err(std::io::Error::other("upload over the size limit")))
                        .await;
                    return true;
                }
                Ok(b)
            }
            Err(e) => Err(std::io::Error::other(format!("reading the upload: {e}"))),
        };
        if item.is_err() {
            let _ = tx.send(item).await;
            return false;
        }
        if tx.send(item).await.is_err() {
            while let Some(Ok(b)) = stream.next().await {
                total += b.len() as u64;
                if total > limit {
                    break;
                }
            }
            return false;
        }
    }
}
