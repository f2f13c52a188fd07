import Hummingbird
import SluiceCore

/// Builds success responses: `{"data": ...}` in the negotiated media type.
enum Responses {
    /// A 200 whose `data` object is written by `body` (which writes the object's members, without braces).
    static func data(
        _ context: SluiceRequestContext, status: HTTPResponse.Status = .ok, capacity: Int = 512, _ body: (inout JSONWriter) -> Void
    ) -> Response {
        var w = JSONWriter(capacity: capacity)
        w.raw("{\"data\":{")
        body(&w)
        w.raw("}}")
        return raw(w.bytes, context: context, status: status)
    }

    /// A 200 with bytes already encoded.
    static func raw(_ bytes: [UInt8], context: SluiceRequestContext, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: context.mediaType.rawValue],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `{"data":{"status":"SUCCESS"}}`, the answer to a delete.
    static func success(_ context: SluiceRequestContext) -> Response {
        data(context) { $0.raw("\"status\":\"SUCCESS\"") }
    }

    /// A 200 listing a page: `{"data":{"<key>":[...],"pagination":{...}}}`, each item written by `write`.
    ///
    /// Written an item at a time into the answer's buffer: a list of 200 destinations is about 1.5 MB, and writing it
    /// whole and then copying it into NIO's buffer read and wrote all of it twice, past the processor's cache.
    /// `bytes` is what the answer is expected to take; the buffer grows past it if needed.
    static func list<T>(
        _ context: SluiceRequestContext, key: String, page: Page<T>, bytes: Int, _ write: (T, inout JSONWriter) -> Void
    ) -> Response {
        var body = ByteBuffer()
        body.reserveCapacity(bytes + 256)
        var w = JSONWriter(capacity: min(bytes, partBytes) + 256)
        w.raw("{\"data\":{")
        w.key(key)
        w.raw("[")
        for (i, item) in page.items.enumerated() {
            if i > 0 { w.raw(",") }
            write(item, &w)
            if w.bytes.count >= partBytes {
                body.writeBytes(w.bytes)
                w.removeAll()
            }
        }
        w.raw("],")
        pagination(page, into: &w)
        w.raw("}}")
        body.writeBytes(w.bytes)
        return Response(status: .ok, headers: [.contentType: context.mediaType.rawValue], body: ResponseBody(byteBuffer: body))
    }

    /// A page of `list`'s answer is moved to its buffer once it has this many bytes: small enough to stay in cache.
    private static let partBytes = 32 << 10

    /// Writes `"pagination":{...}` for a page.
    static func pagination<T>(_ page: Page<T>, into w: inout JSONWriter) {
        w.raw("\"pagination\":{\"current\":")
        w.string(page.current)
        if let next = page.next {
            w.raw(",\"next\":")
            w.string(next)
        }
        if let previous = page.previous {
            w.raw(",\"previous\":")
            w.string(previous)
        }
        w.raw(",\"totalEntries\":")
        w.number(Double(page.totalEntries))
        w.raw("}")
    }
}
