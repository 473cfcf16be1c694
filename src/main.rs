//! `dispatch`: thin entry point. Parses the command line, then hands over to [`dispatch::cli`].

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // A closed pipe (`dispatch dlq list | head`) ends the process quietly, as for any Unix tool,
    // instead of a panic from `println!`.
    #[cfg(unix)]
    // SAFETY: called first thing, before any thread writes; SIG_DFL is always a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    dispatch::cli::main().await
}
