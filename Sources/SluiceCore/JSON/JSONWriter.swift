import Foundation

/// Writes JSON bytes by hand: sorted object keys, integers without a fraction, and
/// pre-encoded fragments spliced in as they are.
///
/// Responses embed large catalog entries that are encoded once at start-up; this
/// writer lets a response append those bytes instead of encoding them again.
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Creates a writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the writer, keeping its memory: for writing a long answer a part at a time.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// Appends raw bytes (punctuation, or a fragment that is already JSON).
    public mutating func raw(_ fragment: some Sequence<UInt8>) { bytes.append(contentsOf: fragment) }

    /// Appends a fragment that is already JSON, as one copy.
    ///
    /// The generic overload above is not specialized across modules and copies byte by byte;
    /// responses splice catalog entries of several kilobytes through this one.
    public mutating func raw(_ fragment: [UInt8]) {
        fragment.withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
    }

    /// Appends ASCII punctuation or a pre-built fragment.
    public mutating func raw(_ fragment: StaticString) {
        fragment.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends `"key":`.
    public mutating func key(_ key: String) {
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends a JSON string with the escapes JSON requires.
    public mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Copies runs that need no escape in one go: most strings have none (catalog JSON is 2.7 MB of them).
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                escape(byte)
                runStart = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
        case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: Array("\\u00".utf8))
            bytes.append(hex[Int(byte >> 4)])
            bytes.append(hex[Int(byte & 0xF)])
        }
    }

    /// Appends a number as JavaScript's `JSON.stringify` writes it: whole values below 10^21 as integers
    /// (`1796295630583000`, a time in microseconds, not `1796295630583000.0`), others in the shortest form that reads
    /// back (`0.1`, `1e-7`, `1e+21`), `null` for what is not finite.
    public mutating func number(_ n: Double) {
        if !n.isFinite {
            raw("null")
        } else if n.rounded() == n, abs(n) < 1e15 {
            integer(Int64(n))
        } else {
            JavaScript.withNumberText(n) { bytes.append(contentsOf: $0) }
        }
    }

    /// Appends an integer's decimal digits, without making a string of them first.
    private mutating func integer(_ n: Int64) {
        if n < 0 { bytes.append(UInt8(ascii: "-")) }
        // Least significant digit first, then turned around in place.
        let start = bytes.count
        var rest = n.magnitude
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes[start...].reverse()
    }

    /// Appends `true` or `false`.
    public mutating func bool(_ b: Bool) { b ? raw("true") : raw("false") }

    /// Appends `null`.
    public mutating func null() { raw("null") }

    /// Appends any JSON value, object keys sorted.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): number(n)
        case .string(let s): string(s)
        case .array(let a):
            bytes.append(UInt8(ascii: "["))
            for (i, element) in a.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let o):
            bytes.append(UInt8(ascii: "{"))
            for (i, member) in o.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                key(member.key)
                self.value(member.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Encodes one value on its own.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        writer.value(value)
        return writer.bytes
    }
}
