import Foundation

/// Exact byte comparisons on UTF-8, so that strings compare by Unicode scalars as Segment's evaluator does,
/// not by Swift's canonical equivalence.
enum ByteSearch {
    /// Whether `text[from..<to]` equals `piece`.
    static func equal(_ text: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, _ piece: [UInt8]) -> Bool {
        guard to - from == piece.count else { return false }
        var i = 0
        while i < piece.count {
            if text[from + i] != piece[i] { return false }
            i += 1
        }
        return true
    }

    /// The first offset at or after `from` where `needle` occurs entirely before `to`.
    static func firstIndex(of needle: [UInt8], in text: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        guard let head = needle.first else { return from <= to ? from : nil }
        var i = from
        let lastStart = to - needle.count
        while i <= lastStart {
            if text[i] == head, equal(text, i, i + needle.count, needle) { return i }
            i += 1
        }
        return nil
    }

    /// Whether `needle` occurs in `text`.
    static func contains(_ text: String, _ needle: String) -> Bool {
        let needleBytes = Array(needle.utf8)
        if let result = text.utf8.withContiguousStorageIfAvailable({ firstIndex(of: needleBytes, in: $0, from: 0, to: $0.count) != nil }) {
            return result
        }
        return Array(text.utf8).withUnsafeBufferPointer { firstIndex(of: needleBytes, in: $0, from: 0, to: $0.count) != nil }
    }

    /// Whether two strings have the same Unicode scalars.
    static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }
}
