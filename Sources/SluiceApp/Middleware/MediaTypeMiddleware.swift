import Hummingbird

/// Chooses the response media type from `Accept` (406 when the operation serves none
/// of those asked for), and names it in the response's `Content-Type`.
///
/// Must run after ``ErrorMiddleware``. Subscriptions serve the alpha type, delivery
/// metrics the beta ones, the Delivery Overview v1beta and JSON, everything else all of them (NOTES.md). Puts the choice in
/// ``SluiceRequestContext/mediaType``.
struct MediaTypeMiddleware: RouterMiddleware {
    typealias Context = SluiceRequestContext

    static func offered(for path: String) -> [MediaType] {
        // The Delivery Overview is beta: Segment's SDKs accept the v1beta type or JSON.
        if path.hasPrefix("/delivery-overview/") { return MediaType.overview }
        if path.hasPrefix("/destinations/") {
            // `/destinations/{id}/subscriptions[/{subscriptionId}]`, `/destinations/{id}/delivery-metrics`
            if path.pathSegment(2) == "subscriptions" { return MediaType.alpha }
            if path.hasSuffix("/delivery-metrics") { return MediaType.beta }
        }
        return MediaType.standard
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if AuthMiddleware.isPublic(path) || AuthMiddleware.isConsole(path) || path == "/metrics" { return try await next(request, context) }
        let offered = Self.offered(for: path)
        guard let chosen = MediaType.negotiate(accept: request.headers[.accept], offered: offered) else {
            throw APIError(
                .notAcceptable, type: "NotAcceptable",
                message: "This operation answers in \(offered.map(\.rawValue).joined(separator: ", "))")
        }
        var context = context
        context.mediaType = chosen
        return try await next(request, context)
    }
}
