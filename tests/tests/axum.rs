//! What only the axum integration has: `extract_with_state` (the router's
//! state in islands), extraction that sees the same data streamed and
//! deferred, and the testing helper with `tower::ServiceExt::oneshot`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{Html, IntoResponse as _, Response};
use axum::routing::get;
use axum::{Extension, Router};
use maud::{html, Markup, DOCTYPE};
use mochi::{IslandError, Mochi};
use tower::ServiceExt as _;

/// The router's state.
#[derive(Clone)]
struct AppState {
    shop: &'static str,
}

/// Data an `Extension` layer adds.
#[derive(Clone, Debug)]
struct Theme(&'static str);

/// Reads the router's state.
#[mochi::island(defer)]
async fn shop_name() -> Result<Markup, IslandError> {
    let State(state) = mochi::axum::extract_with_state::<State<AppState>, AppState>().await?;
    Ok(html! { b { (state.shop) } })
}

/// Says why the router's state could not be read.
#[mochi::island(defer)]
async fn state_error() -> Markup {
    let err = mochi::axum::extract_with_state::<State<AppState>, AppState>()
        .await
        .err();
    html! { (err.map(|e| e.to_string()).unwrap_or_default()) }
}

/// Reads an `Extension`, streamed or deferred.
#[mochi::island(defer)]
async fn themed() -> Result<Markup, IslandError> {
    let Extension(theme) = mochi::axum::extract::<Extension<Theme>>().await?;
    Ok(html! { i { (theme.0) } })
}

async fn streamed_page() -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html { head { (mochi::runtime_script()) } body { (themed().stream()) } }
        }
        .into_string(),
    )
}

/// A page handler is not an island: extraction there names the type and
/// says where to extract instead.
async fn handler_extracts() -> String {
    let err = mochi::axum::extract::<Extension<Theme>>().await.err();
    err.map(|e| e.to_string()).unwrap_or_default()
}

fn mochi() -> Mochi {
    Mochi::builder(mochi::Key::generate())
        .build()
        .expect("mochi starts")
}

async fn body(res: Response) -> String {
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    String::from_utf8_lossy(&bytes).into_owned()
}

async fn get_page(app: Router, path: &str) -> Response {
    let req = Request::get(path).body(Body::empty()).expect("request");
    app.oneshot(req).await.expect("infallible")
}

#[tokio::test]
async fn an_island_reads_the_state_the_layer_was_given() {
    let mochi = mochi();
    let state = AppState { shop: "mochi & co" };
    let app = Router::new().layer(mochi.layer().with_state(state));
    let res = app
        .oneshot(mochi::axum::testing::island_request(&mochi, shop_name))
        .await;
    let res = res.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body(res).await, "<b>mochi &amp; co</b>");
}

#[tokio::test]
async fn state_the_layer_was_not_given_is_an_island_error_naming_it() {
    let mochi = mochi();
    let app = Router::new().layer(mochi.layer());
    let app2 = app.clone();
    let res = app
        .oneshot(mochi::axum::testing::island_request(&mochi, shop_name))
        .await;
    assert_eq!(
        res.expect("infallible").status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let res = app2
        .oneshot(mochi::axum::testing::island_request(&mochi, state_error))
        .await;
    let text = body(res.expect("infallible")).await;
    assert!(
        text.contains("extract::&lt;axum::extract::state::State&lt;axum::AppState&gt;&gt;"),
        "{text}"
    );
    assert!(
        text.contains("holds no state of type axum::AppState"),
        "{text}"
    );
    assert!(text.contains("mochi.layer().with_state(state)"), "{text}");
}

#[tokio::test]
async fn an_extension_outside_the_layer_is_seen_streamed_and_deferred() {
    let mochi = mochi();
    let app = Router::new()
        .route("/account", get(streamed_page))
        .layer(mochi.layer())
        .layer(Extension(Theme("dark")));
    let page = body(get_page(app.clone(), "/account").await).await;
    assert!(
        page.contains("<template for=\"mochi-i0\"><i>dark</i></template>"),
        "{page}"
    );
    let req = mochi::axum::testing::island_request(&mochi, themed);
    let res = app.oneshot(req).await.expect("infallible");
    assert_eq!(body(res).await, "<i>dark</i>");
}

#[tokio::test]
async fn an_extension_inside_the_layer_is_seen_on_neither_path() {
    let mochi = mochi();
    // Added inside mochi's layer: the island endpoint, which the layer
    // answers, never reaches it, so a streamed island does not see it
    // either.
    let app = Router::new()
        .route("/account", get(streamed_page))
        .layer(Extension(Theme("dark")))
        .layer(mochi.layer());
    let page = body(get_page(app.clone(), "/account").await).await;
    assert!(
        page.contains("<mochi-swap island-id=\"i0\" failed>"),
        "{page}"
    );
    let req = mochi::axum::testing::island_request(&mochi, themed);
    let res = app.oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn extracting_outside_an_island_says_where_to_extract() {
    let mochi = mochi();
    let app = Router::new()
        .route("/", get(handler_extracts))
        .layer(mochi.layer());
    let text = body(get_page(app, "/").await).await;
    assert!(text.contains("not inside an island's render"), "{text}");
}

#[tokio::test]
async fn a_large_island_is_requested_by_post_and_answered() {
    #[mochi::island(defer)]
    fn long(text: String) -> Markup {
        html! { (text.len()) }
    }
    let mochi = mochi();
    let app = Router::new().layer(mochi.layer());
    let mut req = mochi::axum::testing::island_request(&mochi, || long("y".repeat(5000)));
    assert_eq!(req.method(), "POST");
    req.headers_mut()
        .insert(header::COOKIE, HeaderValue::from_static("user=ann"));
    let res = app.oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body(res).await, "5000");
}

#[tokio::test]
async fn pages_outside_mochis_routes_are_left_alone() {
    let mochi = mochi();
    let app = Router::new()
        .route(
            "/json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], "{}").into_response() }),
        )
        .layer(mochi.layer());
    let res = get_page(app, "/json").await;
    assert_eq!(res.headers().get(header::VARY), None);
    assert_eq!(body(res).await, "{}");
}
