//! Building the application: connect the store, load templates, bind the listener. Binding is
//! separate from serving so tests can bind port 0 and learn the address first.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::store::Store;
use crate::web::{self, AppState, Settings, Templates};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
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
        let store = Store::connect_lazy(&config.firestore);
        Self::with_store(listener, store, config.app.clone())
    }

    pub fn with_store(listener: TcpListener, store: Store, settings: Settings) -> anyhow::Result<Self> {
        let templates = Templates::new().context("loading templates")?;
        let router = web::router(AppState::new(store, templates, settings));
        Ok(Self { listener, router })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until SIGTERM or Ctrl-C, letting requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    pub async fn run_until(self, signal: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service).with_graceful_shutdown(signal).await
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
