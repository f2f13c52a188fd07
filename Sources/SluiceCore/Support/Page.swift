import Foundation

/// A validated page request: how many items, starting at which offset.
///
/// Cursors are opaque to clients. As Segment's, they are the base64 of the offset
/// (`MA==` is the first page), so an SDK that follows `next` and `previous` works.
public struct PageRequest: Sendable, Equatable {
    /// Items per page, 1 to ``maxCount``.
    public var count: Int
    /// Items to skip.
    public var offset: Int

    /// The largest page Segment serves.
    public static let maxCount = 200

    public init(count: Int, offset: Int = 0) {
        self.count = count
        self.offset = offset
    }

    /// Reads a page request from its parts as the client sent them.
    ///
    /// - Throws: ``ValidationError`` (422) naming `pagination.count` or `pagination.cursor`.
    public init(count: String?, cursor: String?) throws(ValidationError) {
        guard let count else { throw ValidationError("pagination.count is required", field: "pagination.count") }
        guard let value = Int(count.trimmingCharacters(in: .whitespaces)), value >= 1, value <= Self.maxCount else {
            throw ValidationError("pagination.count must be a whole number from 1 to \(Self.maxCount)", field: "pagination.count")
        }
        self.count = value
        if let cursor, !cursor.isEmpty {
            guard let offset = Self.decode(cursor: cursor) else {
                throw ValidationError("pagination.cursor is not a cursor this API returned", field: "pagination.cursor")
            }
            self.offset = offset
        } else {
            self.offset = 0
        }
    }

    /// The cursor for an offset.
    public static func cursor(offset: Int) -> String { Data(String(offset).utf8).base64EncodedString() }

    /// The offset a cursor stands for, or `nil` when it is not one of ours.
    public static func decode(cursor: String) -> Int? {
        guard cursor.utf8.count <= 32, let data = Data(base64Encoded: cursor),
            let text = String(data: data, encoding: .utf8), let offset = Int(text), offset >= 0, offset <= 1_000_000_000
        else { return nil }
        return offset
    }
}

/// One page of results and the total they were taken from.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var totalEntries: Int
    public var request: PageRequest

    public init(items: [Item], totalEntries: Int, request: PageRequest) {
        self.items = items
        self.totalEntries = totalEntries
        self.request = request
    }

    /// The cursor of this page.
    public var current: String { PageRequest.cursor(offset: request.offset) }

    /// The next page's cursor, absent on the last page.
    public var next: String? {
        let nextOffset = request.offset + request.count
        return nextOffset < totalEntries ? PageRequest.cursor(offset: nextOffset) : nil
    }

    /// The previous page's cursor, absent on the first page.
    public var previous: String? {
        guard request.offset > 0 else { return nil }
        return PageRequest.cursor(offset: max(0, request.offset - request.count))
    }

    /// The same page with its items transformed.
    public func map<T>(_ transform: (Item) throws -> T) rethrows -> Page<T> {
        Page<T>(items: try items.map(transform), totalEntries: totalEntries, request: request)
    }
}
