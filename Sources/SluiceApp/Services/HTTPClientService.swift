import AsyncHTTPClient
import ServiceLifecycle

/// Owns the delivery HTTP client and shuts it down when the application stops.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
