import Foundation
import Hummingbird
import Logging
import SluiceCore

/// The outermost middleware: gives each request an id, renders every error in
/// Segment's envelope, and writes one log line per request.
///
/// Runs first, so it sees the errors of every other middleware and of the router
/// (unknown paths: 404; known paths with another method: 405 with `Allow`).
/// Puts ``SluiceRequestContext/requestID`` into the context. An error that is not an
/// ``APIError`` or a known domain error is logged once at `.error` and answered as a
/// 500 with no detail. The log line carries method, path (no query), status, time and
/// token id: never a token, body or setting.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = SluiceRequestContext
    let routes: RouteTable
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestID = Self.requestID(from: request)
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = render(error, request: request, context: context)
        }
        response.headers[.requestID] = context.requestID
        let elapsed = ContinuousClock.now - start
        let millis = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        logger.info(
            "request",
            metadata: [
                "request_id": "\(context.requestID)",
                "method": "\(request.method.rawValue)",
                "path": "\(request.uri.path)",
                "status": "\(response.status.code)",
                "ms": "\(String(format: "%.2f", millis))",
                "token_id": "\(context.log.tokenID ?? "-")",
            ])
        return response
    }

    private func render(_ error: any Error, request: Request, context: Context) -> Response {
        if let error = error as? HTTPError, error.status == .notFound, let methods = routes.methods(for: request.uri.path),
            !methods.contains(request.method)
        {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            return APIError(
                .methodNotAllowed, type: "MethodNotAllowed", message: "\(request.method.rawValue) is not allowed here; use \(allow)",
                headers: [.allow: allow]
            ).response()
        }
        if let apiError = APIError.from(error) {
            return apiError.response()
        }
        logger.error(
            "unexpected error", metadata: ["request_id": "\(context.requestID)", "error": "\(String(reflecting: type(of: error)))"])
        return APIError(.internalServerError, type: "InternalServerError", message: "Something went wrong on our side").response()
    }

    /// The client's `X-Request-Id` when it is short and plain, else a new one (``RequestIDs``).
    static func requestID(from request: Request) -> String {
        if let given = request.headers[.requestID], Identifier.isPlausible(given) { return given }
        return RequestIDs.next()
    }
}
