#[tokio::main]
async fn main() -> std::process::ExitCode {
    roster::server::cli::run().await
}
