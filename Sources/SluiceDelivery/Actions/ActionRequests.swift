import Foundation
import SluiceCore

extension HTTPRequestSpec {
    /// The `User-Agent` of requests to vendors.
    public static let vendorUserAgent = "Sluice"

    /// A request with a JSON body (compact, keys sorted), as an action's `request(url, { json })` sends it.
    public static func json(_ url: String, method: String = "POST", body: JSONValue, headers: [(name: String, value: String)] = []) -> HTTPRequestSpec
    {
        HTTPRequestSpec(
            method: method, url: url,
            headers: headers + [("Content-Type", "application/json"), ("User-Agent", vendorUserAgent)],
            body: JSONWriter.encode(body))
    }

    /// A request with an `application/x-www-form-urlencoded` body, as `new URLSearchParams(fields)` encodes it.
    public static func form(_ url: String, fields: [(name: String, value: String)], headers: [(name: String, value: String)] = []) -> HTTPRequestSpec
    {
        let body = fields.map { formEncode($0.name) + "=" + formEncode($0.value) }.joined(separator: "&")
        return HTTPRequestSpec(
            method: "POST", url: url,
            headers: headers + [("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"), ("User-Agent", vendorUserAgent)],
            body: Array(body.utf8))
    }

    /// An `Authorization` header for HTTP Basic authentication, `Basic base64(user:password)`, as Segment's request
    /// client sends an action's `username` and `password`.
    public static func basicAuthorization(user: String, password: String) -> (name: String, value: String) {
        ("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
    }

    /// The WHATWG `application/x-www-form-urlencoded` byte serializer: ASCII letters, digits and `*-._` as they are,
    /// space as `+`, every other byte of the UTF-8 as `%XX`.
    public static func formEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// The string at `key`, when it is a non-empty string.
    func text(_ key: String) -> String? {
        guard case .string(let s)? = self[key], !s.isEmpty else { return nil }
        return s
    }

    /// A destination setting that must be a non-empty string; its absence discards the event.
    func requiredSetting(_ key: String) throws(ActionFailure) -> String {
        guard let value = text(key) else { throw .invalidSettings("the destination setting \(key) is required") }
        return value
    }
}

extension JSONValue {
    /// `dayjs.utc(value).valueOf()` for a valid time: a number is epoch milliseconds; text is an ISO 8601 date or
    /// date-time (UTC when it has no zone).
    var epochMillis: Double? {
        switch self {
        case .number(let n): return n.isFinite ? n : nil
        case .string(let s):
            guard !s.isEmpty else { return nil }
            let date = Timestamps.parseAssumingUTC(s)
            return date.map { ($0.timeIntervalSince1970 * 1000).rounded() }
        default: return nil
        }
    }
}
