//! `POST /websub`, Herald's own WebSub hub, and `GET /api/websub/subscriptions`,
//! what operators see of it.

use axum::Json;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;

use super::auth::WriteAccess;
use super::body::{Limited, SmallFormBody};
use super::openapi::ErrorBody;
use super::partners::key_in_authorization;
use super::{ApiError, AppState};
use crate::websub::{Request, SubscribeError, SubscriptionView};

/// `POST /websub`: a (un)subscription request, form-encoded (W3C WebSub, 5.1).
/// 202 once it is checked; the callback's verification of intent follows.
#[utoipa::path(post, path = "/websub", tag = "websub",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "hub.mode (subscribe or unsubscribe), hub.topic (a first page of one of Herald's feeds), hub.callback, and optionally hub.lease_seconds and hub.secret; for a partner's feed, its key as key (or in Authorization)"),
    responses(
        (status = 202, description = "Accepted; the callback gets a verification of intent"),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 401, description = "A partner's feed, without one of its keys", body = ErrorBody),
        (status = 404, description = "This Herald runs no hub (websub.hub = false)", body = ErrorBody),
        (status = 413, description = "Body over the configured limit", body = ErrorBody),
        (status = 429, description = "A cap is reached; retry later", body = ErrorBody)))]
pub async fn subscribe(
    State(state): State<AppState>,
    headers: HeaderMap,
    Limited(body, _): Limited<SmallFormBody>,
) -> Result<StatusCode, ApiError> {
    let Some(hub) = &state.hub else {
        return Err(ApiError::not_found(
            "this Herald runs no WebSub hub (websub.hub)",
            None,
        ));
    };
    let get = |name: &str| {
        url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let required = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::bad_param(name, "required"))
    };
    let request = Request {
        mode: required(get("hub.mode"), "hub.mode")?,
        topic: required(get("hub.topic"), "hub.topic")?,
        callback: required(get("hub.callback"), "hub.callback")?,
        lease_seconds: get("hub.lease_seconds"),
        secret: get("hub.secret").filter(|s| !s.is_empty()),
        // For a partner's feed: its key, as its feeds take it (or as a form field).
        key: match headers.get(AUTHORIZATION) {
            Some(value) => value.to_str().ok().and_then(key_in_authorization),
            None => get("key"),
        },
    };
    match hub.request(request).await {
        Ok(()) => Ok(StatusCode::ACCEPTED),
        Err(SubscribeError::Invalid(reason)) => {
            let field = reason.split(':').next().unwrap_or("body").to_string();
            Err(ApiError::bad_param(field, reason))
        }
        Err(SubscribeError::TooMany(message)) => Err(ApiError::TooManyRequests(message)),
        Err(SubscribeError::Unauthorized(_)) => Err(ApiError::PartnerKey),
    }
}

/// The body of `GET /api/websub/subscriptions`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionList {
    subscriptions: Vec<SubscriptionView>,
}

/// `GET /api/websub/subscriptions`: every subscription to Herald's hub, with its
/// topic, callback host, lease expiry and last delivery; token required.
#[utoipa::path(get, path = "/api/websub/subscriptions", tag = "websub", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every subscription (no secrets, callbacks by host only)", body = SubscriptionList),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 403, description = "No token is configured", body = ErrorBody)))]
pub async fn subscriptions(
    State(state): State<AppState>,
    _: WriteAccess,
) -> Json<SubscriptionList> {
    Json(SubscriptionList {
        subscriptions: state.hub.as_ref().map(|h| h.views()).unwrap_or_default(),
    })
}
