//! Building the application: connect the store, load templates, bind the listener. Binding is
//! separate from serving so tests can bind port 0 and learn the address first.

use std::future::Future;
use std::net::SocketAddr;

use std::time::Duration;

use anyhow::Context;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;
use crate::web::{self, AppState, Templates};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    header_timeout: Duration,
}

impl Application {
    /// Binds `config.bind_addr` and prepares the app.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind_addr).await.with_context(|| {
            format!("cannot listen on {} (BIND_ADDR); is another server using it?", config.bind_addr)
        })?;
        Self::build_on(listener, config).await
    }

    /// Prepares the app on a listener bound by the caller.
    pub async fn build_on(listener: TcpListener, config: &Config) -> anyhow::Result<Self> {
        Self::build_with_clock(listener, config, Clock::system()).await
    }

    /// The same on a clock of the caller's (tests move it instead of waiting).
    pub async fn build_with_clock(
        listener: TcpListener,
        config: &Config,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let store = Store::connect_lazy(&config.firestore);
        let templates = Templates::new().context("loading templates")?;
        let header_timeout = config.app.header_timeout;
        let state = AppState::new(store, templates, config.app.clone(), clock);
        let router = web::router(state.clone());
        Ok(Self { listener, router, state, header_timeout })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until SIGTERM or Ctrl-C, letting requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves HTTP/1.1 until `signal`, then lets requests in flight finish (for up to 30 s).
    ///
    /// A connection that does not deliver a request's headers within `header_timeout` is
    /// closed: that bounds slow-header (slowloris) connections and idle keep-alive ones alike,
    /// which `axum::serve` does not.
    pub async fn run_until(self, signal: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(self.header_timeout).keep_alive(true);
        let graceful = GracefulShutdown::new();
        let mut signal = std::pin::pin!(signal);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, do not spin or die.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            let router = self.router.clone();
            let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(request.map(axum::body::Body::new))
            });
            let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            });
        }
        // Event streams never finish by themselves: end them, so their browsers reconnect to
        // another instance now rather than after the grace period.
        self.state.live().shut_down();
        if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await.is_err() {
            tracing::warn!("requests still running 30 s after the stop signal were cut off");
        }
        Ok(())
    }
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
