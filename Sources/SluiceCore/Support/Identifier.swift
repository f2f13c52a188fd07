import Foundation

/// Identifiers: 22-character base62 resource ids (shaped as Segment's) and 32-character write keys.
///
/// The random parts are drawn from `SystemRandomNumberGenerator`, which reads the operating system's cryptographic
/// source (`getrandom` on Linux), so ids and keys cannot be guessed.
public enum Identifier {
    /// The 62 characters ids are made of, in the order of their values.
    public static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new resource id: 22 base62 characters, the time it was made and then 15 random ones (about 89 bits).
    ///
    /// The first 7 are the milliseconds since 1970 (to the nearest, as the stores keep times), written in the
    /// alphabet's order, which is also the bytes' order: an id made a millisecond later sorts after, until the year
    /// 5138. So each new id goes at the end of the stores' indexes on ids, where the pages are the same from one
    /// write to the next. Random ids put every write of a commit on a page of its own, and the Public API's writes were
    /// bound by writing those pages (BENCHMARKS.md, "Ids that start with their time").
    public static func make(now: Date = Date()) -> String {
        var milliseconds = UInt64(max(0, (now.timeIntervalSince1970 * 1000).rounded()))
        var out = [UInt8](repeating: alphabet[0], count: 7)
        out.reserveCapacity(22)
        for index in out.indices.reversed() {
            out[index] = alphabet[Int(milliseconds % 62)]
            milliseconds /= 62
        }
        appendRandom(15, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A new source write key: 32 base62 characters.
    public static func writeKey() -> String { random(length: 32) }

    /// A random base62 string of `length` characters, without modulo bias.
    public static func random(length: Int) -> String {
        var out = [UInt8]()
        out.reserveCapacity(length)
        appendRandom(length, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `count` random base62 characters to `out`, without modulo bias.
    private static func appendRandom(_ count: Int, to out: inout [UInt8]) {
        var generator = SystemRandomNumberGenerator()
        let length = out.count + count
        // Eight random bytes per draw from the system source (one read, not one per character).
        while out.count < length {
            var word = generator.next()
            for _ in 0..<8 where out.count < length {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                if byte < 248 { out.append(alphabet[Int(byte % 62)]) }  // 248 = 4 * 62: uniform
            }
        }
    }

    /// Whether `id` could name a resource: 1 to 64 characters of letters, digits, `_` and `-`.
    ///
    /// Anything else (odd characters, huge strings) is not looked up: it is simply not found.
    @inlinable public static func isPlausible(_ id: some StringProtocol) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 64 else { return false }
        return id.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
        }
    }
}
