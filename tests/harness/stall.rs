//! A TCP proxy in front of a server (the emulator, the Portal) that can stall: while stalled
//! it accepts and keeps connections but forwards nothing, as a Firestore that hangs would
//! behave. It can also pass requests and hold only the answers, from the request that carries
//! a given marker on: the request reaches the server and takes effect, its answer is lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Switches {
    /// Nothing goes either way.
    stalled: AtomicBool,
    /// Requests go through; answers wait.
    answers_held: AtomicBool,
    /// Hold answers once a request's bytes contain this.
    trigger: Mutex<Option<Vec<u8>>>,
}

#[derive(Clone)]
pub struct StallProxy {
    /// `127.0.0.1:PORT`, to use as the emulator host.
    pub host: String,
    switches: Arc<Switches>,
}

impl StallProxy {
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let host = listener.local_addr().expect("addr").to_string();
        let switches = Arc::new(Switches::default());
        let (upstream, shared) = (upstream.to_owned(), switches.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, switches) = (upstream.clone(), shared.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else { return };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        pump(client_read, server_write, &switches, Direction::Requests),
                        pump(server_read, client_write, &switches, Direction::Answers)
                    );
                });
            }
        });
        Self { host, switches }
    }

    /// Stops (or resumes) forwarding both ways; bytes read meanwhile wait and go through on
    /// resume. Resuming also releases held answers and forgets a trigger.
    pub fn stall(&self, on: bool) {
        self.switches.stalled.store(on, Ordering::SeqCst);
        if !on {
            self.switches.answers_held.store(false, Ordering::SeqCst);
            *self.switches.trigger.lock().expect("lock") = None;
        }
    }

    /// From the request whose bytes contain `marker` (a value only that request carries, say a
    /// student's name in a commit), answers are held until [`StallProxy::stall`]`(false)`:
    /// that request and later ones reach the server, their answers do not reach the client.
    pub fn hold_answers_from(&self, marker: &[u8]) {
        *self.switches.trigger.lock().expect("lock") = Some(marker.to_vec());
    }

    /// Whether answers are being held (the trigger was seen).
    pub fn holding_answers(&self) -> bool {
        self.switches.answers_held.load(Ordering::SeqCst)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Requests,
    Answers,
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    switches: &Switches,
    direction: Direction,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    // The end of the last chunk, so a marker split between two reads is still seen.
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let Ok(n) = from.read(&mut buffer).await else { return };
        if n == 0 {
            return;
        }
        if direction == Direction::Requests {
            let trigger = switches.trigger.lock().expect("lock").clone();
            if let Some(marker) = trigger {
                let mut seen = std::mem::take(&mut tail);
                seen.extend_from_slice(&buffer[..n]);
                if seen.windows(marker.len()).any(|w| w == marker.as_slice()) {
                    // Held before this request goes on: its own answer is the first held.
                    switches.answers_held.store(true, Ordering::SeqCst);
                }
                tail = seen[seen.len().saturating_sub(marker.len())..].to_vec();
            }
        }
        loop {
            let held = switches.stalled.load(Ordering::SeqCst)
                || (direction == Direction::Answers && switches.answers_held.load(Ordering::SeqCst));
            if !held {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
