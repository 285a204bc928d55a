import Testing
@testable import KubernetesRuntime

@Suite struct DueTimesTests {
    @Test func takesDueKeysInOrderHonouringReplacementsAndRemovals() {
        var times = DueTimes<Int, TestInstant>()
        var generator = SystemRandomNumberGenerator()
        var expected: [Int: Int] = [:]
        for key in 0..<500 {
            let due = Int.random(in: 0..<10_000, using: &generator)
            times.set(key, due: .seconds(Double(due)))
            expected[key] = due
        }
        for key in stride(from: 0, to: 500, by: 3) {
            let due = Int.random(in: 0..<10_000, using: &generator)
            times.set(key, due: .seconds(Double(due)))
            expected[key] = due
        }
        for key in stride(from: 1, to: 500, by: 7) {
            times.remove(key)
            expected[key] = nil
        }
        #expect(times.earliest() == .seconds(Double(expected.values.min()!)))
        let firstHalf = times.takeDue(now: .seconds(5000))
        let secondHalf = times.takeDue(now: .seconds(10_000))
        let order = firstHalf + secondHalf
        #expect(Set(order) == Set(expected.keys))
        #expect(order.count == expected.count)
        #expect(firstHalf.allSatisfy { expected[$0]! <= 5000 })
        let dues = order.map { expected[$0]! }
        #expect(dues == dues.sorted())
        #expect(times.isEmpty && times.earliest() == nil)
    }

    @Test func aKeyRemovedAndSetAgainToTheSameInstantIsTakenOnce() {
        var times = DueTimes<String, TestInstant>()
        times.set("a", due: .seconds(1))
        times.remove("a")
        times.set("a", due: .seconds(1))
        #expect(times.takeDue(now: .seconds(2)) == ["a"])
        #expect(times.takeDue(now: .seconds(3)) == [])
    }
}
