import SluiceCore
import Testing

@testable import SluiceApp

/// New request ids: a random prefix per process and a counter.
@Suite struct RequestIDsTests {
    @Test func theCounterIsTenBase62Digits() {
        let prefix = Array("AAAAAAAAAAAA".utf8)
        #expect(RequestIDs.id(prefix: prefix, count: 0) == "AAAAAAAAAAAA0000000000")
        #expect(RequestIDs.id(prefix: prefix, count: 61) == "AAAAAAAAAAAA000000000z")
        #expect(RequestIDs.id(prefix: prefix, count: 62) == "AAAAAAAAAAAA0000000010")
        #expect(RequestIDs.id(prefix: prefix, count: 1 << 59) == "AAAAAAAAAAAAgaCAoPNZQG")
    }

    @Test func eachNewIDIsAnotherPlausibleOne() {
        let ids = (0..<1000).map { _ in RequestIDs.next() }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy { $0.utf8.count == 22 && $0.hasPrefix(String(decoding: RequestIDs.prefix, as: UTF8.self)) })
        #expect(ids.allSatisfy { Identifier.isPlausible($0) })
    }
}
