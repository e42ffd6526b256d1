//! Integration tests of the HTTP API, through real HTTP against a server on port 0.

mod bad_input;
mod canvas_analytics;
mod canvas_entry;
mod canvas_journeys;
mod canvas_lifecycle;
mod canvas_support;
mod dashboard;
mod dashboard_browser;
mod dashboard_mission;
mod dashboard_reconnect;
mod dashboard_retry;
mod dashboard_support;
mod health;
mod partners;
mod partners_audiences;
mod partners_canvases;
mod partners_lifecycle;
mod partners_support;
mod steps_retry_errored;
mod support;
mod sync_support;
mod test_store;
mod users;
mod users_consent;
