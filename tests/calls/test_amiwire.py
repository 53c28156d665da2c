from vssd.calls.amiwire import FrameParser, encode_frame


def test_banner_split_utf8_and_crlf_variants():
    parser = FrameParser()
    name = "Алёна Ким"
    raw = (
        b"Asterisk Call Manager/7.0.3\r\n"
        + encode_frame({"Event": "Newchannel", "Uniqueid": "1.1", "CallerIDName": name})
        + b"Event: Hangup\r\nUniqueid: 1.1\r\nCause: 16\r\n\n"  # real Asterisk sometimes ends with \r\n\n
        + b"Event: Odd\nKey: first line\nsecond line\n\n"  # bare LF and an embedded newline
    )
    frames = []
    for i in range(len(raw)):  # one byte per read: every multi-byte character is split
        frames += parser.feed(raw[i : i + 1])
    assert parser.banner == "Asterisk Call Manager/7.0.3"
    assert [f["event"] for f in frames] == ["Newchannel", "Hangup", "Odd"]
    assert frames[0]["calleridname"] == name
    assert frames[1]["cause"] == "16"
    assert frames[2]["key"] == "first line\nsecond line"
    assert parser.malformed == 0


def test_malformed_frames_are_counted_and_skipped():
    parser = FrameParser(max_frame_chars=64)
    frames = parser.feed(b"garbage without keys\r\n\r\nNoColonAtAll\r\n\r\nEvent: Ok\r\n\r\n")
    assert [f["event"] for f in frames] == ["Ok"]
    assert parser.malformed == 2
    parser.feed(b"X" * 100)  # a frame that never ends is dropped, not buffered forever
    assert parser.malformed == 3
    assert parser.feed(b"\r\n\r\nEvent: After\r\n\r\n")[0]["event"] == "After"


def test_repeated_keys_and_follows_body():
    parser = FrameParser()
    frames = parser.feed(
        b"Response: Success\r\nChanVariable: A=1\r\nChanVariable: B=2\r\n\r\n"
        b"Response: Follows\r\nPrivilege: Command\r\nAsterisk 20.5.0 built by x\r\n--END COMMAND--\r\n\r\n"
    )
    assert frames[0]["chanvariable"] == "A=1\nB=2"
    assert "Asterisk 20.5.0" in frames[1]["__content__"]
