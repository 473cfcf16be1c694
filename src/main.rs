//! `dispatch`: thin entry point. Parses the command line, then hands over to [`dispatch::cli`].

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dispatch::cli::main().await
}
