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

  @Test
  void nothingIsHeldBeforeTheFirstCommitOrWithoutWaitingAnswers() {
    CommitPace fresh = new CommitPace();
    fresh.answered(0);
    assertThat(fresh.hold(0, () -> 1)).isFalse();
    CommitPace pace = measured(MS / 10, 10 * MS);
    assertThat(pace.hold(0, () -> 1)).as("no answer waits").isFalse();
  }

  @Test
  void holdsForAFinishDueWithinHalfACommitOfTheFirstWaitingAnswer() {
    CommitPace pace = measured(MS / 10, 10 * MS); // 0.1 ms steps, 10 ms commits: 5 ms budget
    pace.answered(0);
    assertThat(pace.hold(0, () -> 50)).as("due in 5 ms").isTrue();
    assertThat(pace.hold(0, () -> 51)).as("due in 5.1 ms").isFalse();
    assertThat(pace.hold(2 * MS, () -> 30)).as("2 ms waited + 3 ms").isTrue();
    assertThat(pace.hold(2 * MS, () -> 31)).isFalse();
    assertThat(pace.hold(5 * MS, () -> 0)).as("the budget is spent").isFalse();
    assertThat(pace.hold(MS, () -> Integer.MAX_VALUE)).as("nothing runs").isFalse();
  }

  @Test
  void theBudgetCountsFromTheFirstAnswerUntilTheTransactionGoes() {
    CommitPace pace = measured(MS / 10, 10 * MS);
    pace.answered(0);
    pace.answered(4 * MS); // a later answer does not restart the clock
    assertThat(pace.hold(4 * MS, () -> 20)).isFalse();
    pace.submitted();
    pace.answered(4 * MS);
    assertThat(pace.hold(4 * MS, () -> 20)).isTrue();
  }

  @Test
  void averagesFollowTheMeasurements() {
    CommitPace pace = measured(MS / 10, 10 * MS);
    for (int i = 0; i < 100; i++) {
      pace.committed(2 * MS); // commits got fast: 1 ms budget
    }
    pace.answered(0);
    assertThat(pace.hold(0, () -> 9)).isTrue();
    assertThat(pace.hold(0, () -> 11)).isFalse();
  }
}
