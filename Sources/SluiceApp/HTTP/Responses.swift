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
    static func list<T>(
        _ context: SluiceRequestContext, key: String, page: Page<T>, itemCapacity: Int, _ write: (T, inout JSONWriter) -> Void
    ) -> Response {
        data(context, capacity: itemCapacity * page.items.count + 128) { w in
            w.key(key)
            w.raw("[")
            for (i, item) in page.items.enumerated() {
                if i > 0 { w.raw(",") }
                write(item, &w)
            }
            w.raw("],")
            pagination(page, into: &w)
        }
    }

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
