#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// Whether the two are the same bytes (UTF-8). `==` compares canonical equivalence, under which two different stored
    /// texts (a precomposed and a decomposed "é") are equal: where a stored text stands for a version of a row, only
    /// its exact bytes will do.
    public func hasSameBytes(as other: String) -> Bool {
        var a = self
        var b = other
        return a.withUTF8 { x in
            b.withUTF8 { y in x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0) }
        }
    }
}
