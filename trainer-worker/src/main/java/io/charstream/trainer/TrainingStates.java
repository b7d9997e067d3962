package io.charstream.trainer;

import io.charstream.schemas.Topics;
import io.charstream.schemas.json.Json;
import io.charstream.schemas.json.MessageFormatException;
import io.charstream.schemas.message.CheckpointEvent;
import io.charstream.trainer.kafka.PartitionScan;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The latest full checkpoint (training state included) of a model, read from the compacted
 * training-state topic: the partition of the modelId key, scanned to its end.
 */
public final class TrainingStates {
  private final Topics topics;
  private final PartitionScan scan;

  public TrainingStates(Topics topics, PartitionScan scan) {
    this.topics = topics;
    this.scan = scan;
  }

  public Optional<CheckpointEvent> latest(String modelId) {
    int partition = PartitionScan.partitionFor(modelId, scan.partitions(topics.trainingState()));
    byte[] key = modelId.getBytes(StandardCharsets.UTF_8);
    CheckpointEvent[] latest = {null};
    scan.scan(
        topics.trainingState(),
        partition,
        null,
        null,
        r -> {
          if (r.key() != null && java.util.Arrays.equals(r.key(), key) && r.value() != null) {
            try {
              CheckpointEvent e = Json.read(r.value(), CheckpointEvent.class);
              if (latest[0] == null || e.version() > latest[0].version()) latest[0] = e;
            } catch (MessageFormatException e) {
              // not ours: the trainer is the only writer of this topic
            }
          }
          return true;
        },
        Duration.ofMinutes(5));
    return Optional.ofNullable(latest[0]);
  }
}
