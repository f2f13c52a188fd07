import Foundation
import Hummingbird
import SluiceCore

/// Limits requests per token and names the counters on every successful response.
///
/// Must run after ``AuthMiddleware`` (it counts per ``SluiceRequestContext/token``).
/// Subscription creates, updates and removals count against their own bucket of 5 a
/// minute; everything else against the general one. A limited request gets 429 with
/// `Retry-After` and Segment's `RequestError` body; a successful one carries
/// `X-RateLimit-Consumed`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = SluiceRequestContext
    let limiter: RateLimiter

    func bucket(for request: Request) -> RateLimiter.Bucket {
        if request.method != .get, request.method != .head, request.uri.path.hasPrefix("/destinations/"),
            request.uri.path.contains("/subscriptions")
        {
            return RateLimiter.subscriptionWrites
        }
        return limiter.general
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = context.token else { return try await next(request, context) }
        let decision = limiter.consume(bucket(for: request), key: token.id)
        guard decision.allowed else {
            let msBeforeNext = max(0, Int((decision.reset.timeIntervalSinceNow * 1000).rounded(.up)))
            throw APIError(
                .tooManyRequests, type: "RequestError", message: "Too many requests",
                data: ["remainingPoints": 0, "msBeforeNext": .number(Double(msBeforeNext)), "consumedPoints": .number(Double(decision.consumed))],
                headers: [.retryAfter: String(max(1, (msBeforeNext + 999) / 1000))])
        }
        var response = try await next(request, context)
        if (200..<300).contains(response.status.code) {
            response.headers[.rateLimitConsumed] = String(decision.consumed)
            response.headers[.rateLimitRemaining] = String(decision.remaining)
            response.headers[.rateLimitReset] = RateLimiter.httpDate(decision.reset)
        }
        return response
    }
}
