package io.charstream.generator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommitPaceTest {

  private static final long MS = 1_000_000L;

  private static CommitPace measured(long stepNanos, long commitNanos) {
    CommitPace pace = new CommitPace();
    pace.stepped(stepNanos);
    pace.committed(commitNanos);
    return pace;
  }

  /** Answers due at the next finish, whatever the step: {@code m}. */
  private static java.util.function.IntUnaryOperator due(int m) {
    return steps -> m;
  }

  @Test
  void nothingIsHeldBeforeTheFirstCommitOrWithoutWaitingAnswers() {
    CommitPace fresh = new CommitPace();
    fresh.answered(0);
    assertThat(fresh.hold(0, () -> 1, due(1))).isFalse();
    CommitPace pace = measured(MS / 10, 10 * MS);
    assertThat(pace.hold(0, () -> 1, due(1))).as("no answer waits").isFalse();
  }

  @Test
  void oneAnswerWaitsHalfACommitForOneOther() {
    CommitPace pace = measured(MS / 10, 10 * MS); // 0.1 ms steps, 10 ms commits
    pace.answered(0);
    assertThat(pace.hold(0, () -> 50, due(1))).as("due in 5 ms").isTrue();
    assertThat(pace.hold(0, () -> 51, due(1))).as("due in 5.1 ms").isFalse();
    assertThat(pace.hold(MS, () -> Integer.MAX_VALUE, due(0))).as("nothing runs").isFalse();
  }

  @Test
  void fewAnswersWaitLongerForManyAndManyNotForFew() {
    CommitPace ahead = measured(MS / 10, 10 * MS);
    ahead.answered(0); // one request ran ahead of 63: waiting up to 10 * 63 / 64 ms saves more
    assertThat(ahead.hold(0, () -> 98, due(63))).as("due in 9.8 ms").isTrue();
    assertThat(ahead.hold(0, () -> 99, due(63))).as("due in 9.9 ms").isFalse();
    CommitPace behind = measured(MS / 10, 10 * MS);
    for (int i = 0; i < 63; i++) {
      behind.answered(0); // 63 answers wait for one straggler: 10 / 64 ms at most
    }
    assertThat(behind.hold(0, () -> 1, due(1))).isTrue();
    assertThat(behind.hold(0, () -> 2, due(1))).isFalse();
  }

  @Test
  void noAnswerWaitsMoreThanOneCommitInAll() {
    CommitPace pace = measured(MS / 10, 10 * MS);
    pace.answered(0);
    pace.answered(4 * MS); // a later answer does not restart the clock
    assertThat(pace.hold(7 * MS, () -> 30, due(63))).as("7 ms waited + 3 ms").isTrue();
    assertThat(pace.hold(7 * MS, () -> 31, due(63))).isFalse();
    assertThat(pace.hold(10 * MS, () -> 0, due(63))).as("a commit's time is spent").isFalse();
    pace.submitted(); // the clock and the count start again
    pace.answered(7 * MS);
    assertThat(pace.hold(7 * MS, () -> 50, due(1))).isTrue();
  }

  @Test
  void aTransactionIsPreparedAsFarAheadAsPreparingTakesAndAtLeastACommit() {
    CommitPace pace = measured(MS / 10, 4 * MS);
    assertThat(pace.prepareWindowSteps()).isEqualTo(40);
    pace.prepared(2 * MS);
    assertThat(pace.prepareWindowSteps()).as("preparing is faster than a commit").isEqualTo(40);
    CommitPace slow = measured(MS / 10, 4 * MS);
    slow.prepared(8 * MS);
    assertThat(slow.prepareWindowSteps()).isEqualTo(80);
    assertThat(slow.holdSteps()).as("holds stay within one commit").isEqualTo(40);
  }

  @Test
  void averagesFollowTheMeasurements() {
    CommitPace pace = measured(MS / 10, 10 * MS);
    for (int i = 0; i < 100; i++) {
      pace.committed(2 * MS); // commits got fast: 1 ms budget
    }
    pace.answered(0);
    assertThat(pace.hold(0, () -> 9, due(1))).isTrue();
    assertThat(pace.hold(0, () -> 11, due(1))).isFalse();
  }
}
