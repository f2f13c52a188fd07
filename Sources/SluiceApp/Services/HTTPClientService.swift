import AsyncHTTPClient
import ServiceLifecycle
import SluiceDelivery

/// Owns the delivery HTTP clients (AsyncHTTPClient, and delivery's own for plain `http://`) and shuts them down when
/// the application stops.
struct HTTPClientService: Service {
    let client: HTTPClient
    let http1: HTTP1Client

    func run() async throws {
        try? await gracefulShutdown()
        await http1.shutdown()
        try await client.shutdown()
    }
}
