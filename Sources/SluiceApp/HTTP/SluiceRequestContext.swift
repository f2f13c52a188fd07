import Hummingbird
import SluiceCore

/// The per-request context: Hummingbird's core storage plus what Sluice's middleware learns.
///
/// ``ErrorMiddleware`` sets ``requestID``; ``AuthMiddleware`` sets ``token``;
/// ``MediaTypeMiddleware`` sets ``mediaType``.
public struct SluiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The id echoed in `X-Request-Id` and logged with the request.
    public var requestID: String = ""
    /// The Public API token that authenticated the request, if any.
    public var token: APIToken?
    /// The media type the response is written in.
    public var mediaType: MediaType = .json
    /// What inner middleware learns that the outer log line reports (contexts are passed down by value).
    let log = RequestLog()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { RequestBody.maxSize }

    /// Who the audit trail names for this request.
    var actor: String { token.map { "public-api-token/\($0.id)" } ?? "sluice" }
}

/// Facts for the request's log line, filled in by inner middleware.
///
/// One request's middleware runs one after the other in one task, so no lock is needed.
final class RequestLog: @unchecked Sendable {
    var tokenID: String?
}
