import SluiceCore
import Synchronization

/// New request ids: 22 base62 characters, as resource ids, made of 12 drawn at random when the process starts
/// (71 bits: two processes' ids do not meet) and a counter in the other 10.
///
/// A request id names a request in logs, it guards nothing, so it needs to be unique, not unguessable; a fully
/// random one cost three `getrandom` system calls on every request (2 % of `GET /destinations/{id}`'s CPU, issue 20).
enum RequestIDs {
    static let prefix = Array(Identifier.random(length: 12).utf8)
    static let counter = Atomic<UInt64>(0)

    static func next() -> String { id(prefix: prefix, count: counter.add(1, ordering: .relaxed).newValue) }

    /// `prefix` and `count` in 10 base62 digits, most significant first (62^10 is over 2^59).
    static func id(prefix: [UInt8], count: UInt64) -> String {
        String(unsafeUninitializedCapacity: prefix.count + 10) { buffer in
            _ = buffer.initialize(fromContentsOf: prefix)
            var rest = count
            for index in (prefix.count..<prefix.count + 10).reversed() {
                buffer[index] = Identifier.alphabet[Int(rest % 62)]
                rest /= 62
            }
            return prefix.count + 10
        }
    }
}
