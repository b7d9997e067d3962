package io.charstream.app.cli;

import io.charstream.model.CheckpointFormatException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;

/**
 * How every command reports what went wrong: {@link #run} turns a {@link UserError} (or a bad flag
 * value, config value or checkpoint) into one line and exit 2, a {@link CommandFailed} or an I/O
 * error into one line and exit 1. Also reads input files the same way for every command.
 */
public final class Commands {

  /** Exit status of a usage mistake (bad flag value, unreadable input), as picocli uses. */
  public static final int USAGE = 2;

  /** Exit status when training was interrupted (like a shell's for SIGINT). */
  public static final int INTERRUPTED = 130;

  private Commands() {}

  /**
   * Runs {@code body}; a user error or a bad checkpoint becomes one line on stderr, naming the
   * command and what to do, and a non-zero status.
   */
  public static int run(String command, PrintWriter err, Callable<Integer> body) {
    try {
      return body.call();
    } catch (UserError | CheckpointFormatException | IllegalArgumentException | ConfigException e) {
      err.println("charstream " + command + ": " + e.getMessage());
      return USAGE;
    } catch (CommandFailed e) {
      err.println("charstream " + command + ": " + e.getMessage());
      return 1;
    } catch (NoSuchFileException | AccessDeniedException e) {
      err.println("charstream " + command + ": " + describe(e));
      return USAGE;
    } catch (IOException e) {
      err.println("charstream " + command + ": " + describe(e));
      return 1;
    } catch (java.io.UncheckedIOException e) {
      err.println("charstream " + command + ": " + e.getMessage());
      return 1;
    } catch (RuntimeException e) {
      String refusal = kafkaRefusal(e);
      if (refusal == null) throw e;
      err.println("charstream " + command + ": " + refusal);
      return 1;
    } catch (Exception e) {
      err.println("charstream " + command + ": " + e);
      return 1;
    }
  }

  /**
   * One line for a broker's refusal anywhere in {@code e}'s causes (the user in --client-config
   * lacks an ACL, or cannot log in), or null when it is something else.
   */
  static String kafkaRefusal(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof org.apache.kafka.common.errors.AuthorizationException) {
        return "refused by Kafka: "
            + c.getMessage()
            + " (the user of --client-config has no ACL for this operation)";
      }
      if (c instanceof org.apache.kafka.common.errors.AuthenticationException) {
        return "refused by Kafka: "
            + c.getMessage()
            + " (check the credentials and the truststore in --client-config)";
      }
      if (c.getCause() == c) break;
    }
    return null;
  }

  public static String describe(IOException e) {
    if (e instanceof NoSuchFileException n) {
      return "no such file: "
          + n.getFile()
          + (n.getReason() == null ? "" : " (" + n.getReason() + ")");
    }
    if (e instanceof AccessDeniedException a) {
      return "permission denied: " + a.getFile();
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  /**
   * The whole file as UTF-8 text; a missing, non-regular or non-UTF-8 file is a user error naming
   * the flag.
   */
  public static String readText(Path path, String flag) {
    if (!Files.exists(path)) {
      throw new UserError("no such file: " + path + " (check " + flag + ")");
    }
    if (!Files.isRegularFile(path)) {
      throw new UserError(path + " is not a regular file: " + flag + " takes a UTF-8 text file");
    }
    try {
      return Files.readString(path);
    } catch (CharacterCodingException e) {
      throw new UserError(
          path
              + " is not valid UTF-8 text: convert it (e.g. iconv -t UTF-8) and pass it to "
              + flag
              + " again",
          e);
    } catch (IOException e) {
      throw new UserError("cannot read " + path + " (" + describe(e) + "); check " + flag, e);
    }
  }
}
