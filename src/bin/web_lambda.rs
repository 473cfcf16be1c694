//! Lambda function behind a function URL serving the crew page: the same axum router as
//! `dispatch run --only web`, through `lambda_http`.

use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    dispatch::telemetry::init("info");
    let mut settings = dispatch_core::Settings::load(None)?;
    dispatch::secrets::apply_from_env(&mut settings)
        .await
        .map_err(|e| format!("{e:#}"))?;
    let backend = dispatch_core::open_backend(&settings).await?;
    let cascade = dispatch::app::cascade(&settings, &backend).map_err(|e| format!("{e:#}"))?;
    lambda_http::run(dispatch_cascade::web::router(cascade)).await
}
