import Foundation
import Hummingbird
import SluiceCore

/// Checks the Public API bearer token, and that read-only tokens only read.
///
/// Must run after ``ErrorMiddleware`` (which renders its 401 and 403). Lets through
/// without a token: `GET /healthz`, `GET /openapi.yaml`, the Tracking API (`/v1/...`), which has its own write-key
/// authentication, and, when the console is on, the console's files (`/console/...`). Puts the token in
/// ``SluiceRequestContext/token``.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = SluiceRequestContext
    let tokens: TokenAuthenticator
    /// Whether the web console is served; when it is off, `/console/` is an unknown path like any other (a 401 without
    /// a token).
    let console: Bool

    static func isPublic(_ path: String) -> Bool {
        path == "/healthz" || path == "/openapi.yaml" || path.hasPrefix("/v1/")
    }

    static func isConsole(_ path: String) -> Bool {
        path == "/console" || path.hasPrefix("/console/")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.isPublic(request.uri.path) || (console && Self.isConsole(request.uri.path)) { return try await next(request, context) }
        guard let header = request.headers[.authorization], let text = Self.bearer(header),
            let token = try await tokens.verify(text)
        else { throw APIError.unauthorized }
        if token.readOnly, request.method != .get, request.method != .head, !Self.changesNothing(request) {
            throw APIError.forbidden("This token is read-only: it cannot change anything")
        }
        var context = context
        context.token = token
        context.log.tokenID = token.id
        return try await next(request, context)
    }

    /// The POSTs that only compute an answer (the filter preview, the trigger check, the mapping preview), which a
    /// read-only token may send.
    static let readOnlyPosts: Set<String> = ["/destination/filters/preview", "/sluice/triggers/check", "/sluice/mappings/preview"]

    static func changesNothing(_ request: Request) -> Bool {
        request.method == .post && readOnlyPosts.contains(request.uri.path)
    }

    static func bearer(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingOptionalWhitespace
        return token.isEmpty || token.utf8.count > 512 ? nil : String(token)
    }
}
