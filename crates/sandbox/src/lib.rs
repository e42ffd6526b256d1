//! The Pinterest sandbox: a faithful local implementation of Pinterest API v5 (OAuth, ad
//! accounts, customer lists, audiences, rate limits, errors) with a control API.
