import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Puts Segment's error envelope into the bare 400 that Hummingbird writes when a request is not
/// valid HTTP/1.1 (a garbage request line, a bad `Content-Length`, headers over the limit, both
/// `Content-Length` and `Transfer-Encoding`), so that every client error comes in the envelope.
///
/// Hummingbird answers those with `400`, `Content-Length: 0` and `Connection: close` before any
/// middleware runs (found by scripts/e2e_hostile.py). Added to each connection's channel pipeline
/// (``buildApplication(settings:store:catalog:logger:onServerRunning:)``), after the HTTP codec;
/// it rewrites only a 400 head with an empty body and no `Content-Type`, which Sluice's own
/// error answers never are.
final class ParseErrorEnvelopeHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let body = APIError.badRequest("The request is not valid HTTP/1.1: its request line, headers or framing could not be read").body

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head(var head) = unwrapOutboundIn(data), head.status == .badRequest, head.headerFields[.contentLength] == "0",
            head.headerFields[.contentType] == nil
        {
            head.headerFields[.contentType] = "application/json"
            head.headerFields[.contentLength] = String(Self.body.count)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(ByteBuffer(bytes: Self.body))), promise: promise)
            return
        }
        context.write(data, promise: promise)
    }
}
