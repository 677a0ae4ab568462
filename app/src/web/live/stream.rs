//! `GET /session/<id>/events/`: the session's live list as Server-Sent Events, resuming after
//! `Last-Event-ID` where it can; `GET /session/<id>/changes.json?since=N`: the same events for a
//! browser without them, asked for every few seconds.

use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use http::HeaderMap;
use http::header::CACHE_CONTROL;
use serde::{Deserialize, Serialize};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::{EventId, LiveEvent};
use crate::web::guard::Auth;
use crate::web::{AppError, AppState};

fn event(e: &LiveEvent) -> Event {
    Event::default().id(e.id.to_string()).event(e.kind).data(e.data.to_string())
}

pub async fn events(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let since = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(EventId::parse);
    let watch = state.live().watch(&state, &auth, &id).await?;
    let (viewer, first, receiver) = watch.join(since).await?;
    let access_ends = super::access::ends(state.clone(), &auth, watch.clone());
    let first = futures::stream::iter(first.into_iter().map(|e| Ok(event(&e))));
    let rest = BroadcastStream::new(receiver).then(move |message| {
        let watch = watch.clone();
        async move {
            match message {
                Ok(e) => vec![Ok(event(&e))],
                // Too slow a reader missed events: everything again, in one snapshot.
                Err(BroadcastStreamRecvError::Lagged(_)) => match watch.since(None) {
                    Ok(events) => events.iter().map(|e| Ok(event(e))).collect(),
                    Err(_) => Vec::new(),
                },
            }
        }
    });
    // The viewer counts until the browser goes away and the stream is dropped, its login ends,
    // or the instance stops (the browser then reconnects, to another instance behind the
    // balancer, or to the login page).
    let stopped = state.live().stopped();
    let ends = async move {
        tokio::select! {
            () = stopped => {}
            () = access_ends => {}
        }
    };
    let stream = first.chain(rest.flat_map(futures::stream::iter)).take_until(ends).map(move |e| {
        let _held = &viewer;
        e
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Deserialize)]
pub struct Since {
    since: Option<String>,
}

#[derive(Serialize)]
struct Changes {
    events: Vec<LiveEvent>,
    /// Ask again with this.
    next: Option<EventId>,
}

pub async fn changes(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(query): Query<Since>,
) -> Result<Response, AppError> {
    let watch = state.live().watch(&state, &auth, &id).await?;
    let since = query.since.as_deref().and_then(EventId::parse);
    let events: Vec<LiveEvent> = watch.since(since)?.iter().map(|e| LiveEvent::clone(e)).collect();
    let next = events.last().map(|e| e.id).or(since);
    Ok(([(CACHE_CONTROL, "no-store")], Json(Changes { events, next })).into_response())
}
