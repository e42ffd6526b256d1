//! Integration tests of the HTTP API, through real HTTP against a server on port 0.

mod health;
mod support;
mod users;
mod partners;
mod partners_audiences;
mod partners_canvases;
mod partners_lifecycle;
mod partners_support;
