import Foundation
import PostgresNIO
import SluiceCore
import Synchronization
import Testing

@testable import SluicePostgres

/// The PostgreSQL engine's call plumbing, without a database.
@Suite struct PostgresCallTests {
    @Test func aCallIsResumedOnceWhateverComesFirst() async throws {
        let call = CallDeadline.PendingCall<Int>()
        let finished = Counter()
        let value = try await withCheckedThrowingContinuation { continuation in
            call.start(continuation)
            call.onFinish { finished.add() }
            #expect(call.finish(.success(1)))
            // A deadline or an error arriving later changes nothing
            #expect(!call.finish(.success(2)))
            #expect(!call.finish(.failure(StoreError.unavailable("late"))))
        }
        #expect(value == 1)
        #expect(finished.value == 1)
        // An action registered after the end runs at once
        call.onFinish { finished.add() }
        #expect(finished.value == 2)
    }

    @Test func aCallCancelledBeforeItStartsEndsAtOnce() async throws {
        let call = CallDeadline.PendingCall<Int>()
        call.cancel()
        let cancelled = Counter()
        await #expect(throws: CancellationError.self) {
            _ = try await withCheckedThrowingContinuation { continuation in
                call.start(continuation)
                call.onCancel { cancelled.add() }
            }
        }
        #expect(cancelled.value == 1)
    }

    @Test func aPoolKeepsNoConnectionOpenUnused() throws {
        // With a minimum of connections (20, tried), PostgresNIO 1.33's pool stopped the process on a failed
        // precondition when a call came while fewer were open, after PostgreSQL restarted: an outage became a crash.
        let configuration = try PostgresStore.Location(url: "postgres://u:p@127.0.0.1:5432/db").configuration(schema: nil)
        #expect(configuration.options.minimumConnections == 0)
        #expect(configuration.options.maximumConnections == PostgresStore.connections)
    }

    @Test func onlyAStatementTheServerRefusedLeavesTheConnectionUsable() {
        #expect(PostgresStore.connectionIsUsable(after: StoreError.conflict("mine")))
        #expect(PostgresStore.connectionIsUsable(after: CancellationError()))
    }
}

/// A thread-safe count for callbacks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
