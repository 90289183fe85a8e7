/// Rendering a page allocates and frees many small strings from several threads; mimalloc
/// does that faster than the system allocator and returns memory more readily.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    roster::server::cli::run().await
}
