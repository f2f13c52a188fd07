extension StringProtocol where SubSequence == Substring {
    /// This text without the spaces and horizontal tabs around it: HTTP's optional whitespace (RFC 9110, 5.6.3), the
    /// only blanks a header value's syntax allows there.
    ///
    /// Header values are read on every request; Foundation's `trimmingCharacters(in:)` bridges through `NSString` and
    /// cost several percent of `GET /destinations/{id}`'s CPU (issue 20).
    var trimmingOptionalWhitespace: Substring {
        let text = self[startIndex..<endIndex]
        let utf8 = text.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, Self.isBlank(utf8[start]) { start = utf8.index(after: start) }
        while start < end {
            let last = utf8.index(before: end)
            guard Self.isBlank(utf8[last]) else { break }
            end = last
        }
        return text[start..<end]
    }

    /// The `index`th of this path's `/`-separated parts (`/a/b/c`: 0 is `a`), or `nil` when it has fewer.
    func pathSegment(_ index: Int) -> Substring? {
        var remaining = index
        for part in utf8.split(separator: UInt8(ascii: "/")) {
            if remaining == 0 { return self[part.startIndex..<part.endIndex] }
            remaining -= 1
        }
        return nil
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
}
