package io.charstream.schemas.json;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 decoded strictly: invalid bytes are an error, never a silent replacement character. */
public final class Utf8 {
  private Utf8() {}

  /**
   * The text of {@code bytes}.
   *
   * @throws CharacterCodingException (a {@link java.nio.charset.MalformedInputException} for bytes
   *     that are not UTF-8)
   */
  public static String decode(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }
}
