"""Text a phone prints: `dumpsys battery`, `dumpsys telephony.registry`, siminfo rows, `id`, `uptime`, features.

`dumpsys battery` follows the real captures in corpus/adb/real/ (BatteryService's dump; which lines appear
depends on the Android release). No real `dumpsys telephony.registry` capture is available under a usable
licence, so that dump follows AOSP's TelephonyRegistry.dump() and ServiceState/SignalStrength toString()
(Android 10+ wording) — the fields vssd reads are `mServiceState={mVoiceRegState=N(STATE), mDataRegState=…}`
and `mSignalStrength=SignalStrength:{…mLte=CellSignalStrengthLte: rssi=… rsrp=… level=N…}`.
"""

from __future__ import annotations

import time

from vssd.sim.adb.phone import Phone

# adbd feature names (adb/transport.cpp) and the Android SDK that introduced them.
FEATURES_BY_SDK = (
    (24, "shell_v2"),
    (24, "cmd"),
    (26, "stat_v2"),
    (28, "ls_v2"),
    (28, "fixed_push_mkdir"),
    (29, "apex"),
    (29, "abb"),
    (29, "fixed_push_symlink_timestamp"),
    (30, "abb_exec"),
    (30, "remount_shell"),
    (31, "track_app"),
    (31, "sendrecv_v2"),
    (31, "sendrecv_v2_brotli"),
    (31, "sendrecv_v2_lz4"),
    (33, "sendrecv_v2_zstd"),
    (33, "sendrecv_v2_dry_run_send"),
)
INVALID = 2147483647
PACKAGES = (
    "android", "com.android.phone", "com.android.providers.telephony", "com.android.settings",
    "com.android.systemui", "com.android.shell", "com.android.dialer", "com.android.contacts",
    "com.android.server.telecom", "com.android.inputmethod.latin",
)


def features(phone: Phone) -> str:
    return ",".join(name for sdk, name in FEATURES_BY_SDK if phone.sdk >= sdk)


def battery(phone: Phone) -> str:
    sdk = phone.sdk
    level = max(0, min(100, phone.battery_level))
    lines = ["Current Battery Service state:", "  AC powered: false", "  USB powered: true",
             "  Wireless powered: false"]
    if sdk >= 31:
        lines.append("  Dock powered: false")
    if sdk >= 24:
        lines.append("  Max charging current: 500000")
    if sdk >= 26:
        lines.append("  Max charging voltage: 5000000")
    if sdk >= 24:
        lines.append(f"  Charge counter: {level * 30000}")
    lines += [
        f"  status: {5 if level >= 100 else 2}",
        f"  health: {3 if phone.battery_temp_c >= 45 else 2}",
        "  present: true",
        f"  level: {level}",
        "  scale: 100",
        f"  voltage: {3500 + level * 7}",
        f"  temperature: {round(phone.battery_temp_c * 10)}",
        "  technology: Li-ion",
    ]
    return "\n".join(lines) + "\n"


def lte_level(rsrp: int) -> int:
    """AOSP CellSignalStrengthLte default RSRP thresholds (-115, -105, -95, -85 dBm)."""
    return sum(rsrp >= t for t in (-115, -105, -95, -85))


def _service_state(phone: Phone) -> str:
    serving = phone.sim_state == "READY" and phone.in_service
    reg = "0(IN_SERVICE)" if serving else "1(OUT_OF_SERVICE)"
    name = phone.operator_name if serving else ""
    short = name.split(" ")[0] if name else ""
    rat = "14(LTE)" if serving else "0(Unknown)"
    return (
        f"{{mVoiceRegState={reg}, mDataRegState={reg}, mChannelNumber={1300 if serving else -1}, "
        f"duplexMode()={1 if serving else 0}, mCellBandwidths=[], mOperatorAlphaLong={name}, "
        f"mOperatorAlphaShort={short}, isManualNetworkSelection=false(automatic), "
        f"getRilVoiceRadioTechnology={rat}, getRilDataRadioTechnology={rat}, mCssIndicator=unsupported, "
        f"mNetworkId=-1, mSystemId=-1, mCdmaRoamingIndicator=-1, mCdmaDefaultRoamingIndicator=-1, "
        f"mIsEmergencyOnly={'false' if serving else 'true'}, isUsingCarrierAggregation=false, "
        f"mLteEarfcnRsrpBoost=0, mNrFrequencyRange=0, mOperatorAlphaLongRaw={name}, "
        f"mOperatorAlphaShortRaw={short}, mIsDataRoamingFromRegistration=false, mIsIwlanPreferred=false}}"
    )


def _signal_strength(phone: Phone) -> str:
    if not (phone.sim_state == "READY" and phone.in_service):
        lte = "Invalid"
        primary = "CellSignalStrengthLte: rssi=2147483647"
    else:
        rsrp = phone.signal_dbm
        rssi = rsrp + 28
        lte = (f"CellSignalStrengthLte: rssi={rssi} rsrp={rsrp} rsrq=-10 rssnr={INVALID} cqi={INVALID} "
               f"ta={INVALID} level={lte_level(rsrp)}")
        primary = "CellSignalStrengthLte"
    return (f"SignalStrength:{{mCdma=Invalid,mGsm=Invalid,mWcdma=Invalid,mTdscdma=Invalid,mLte={lte},"
            f"mNr=Invalid,primary={primary}}}")


def telephony_registry(phone: Phone) -> str:
    serving = phone.sim_state == "READY" and phone.in_service
    lines = [
        "last known state:",
        "  Phone Id=0",
        "    mCallState=0",
        "    mRingingCallState=0",
        "    mForegroundCallState=0",
        "    mCallIncomingNumber=",
        f"    mServiceState={_service_state(phone)}",
        "    mVoiceActivationState=0",
        "    mDataActivationState=0",
        "    mUserMobileDataState=true",
        f"    mSignalStrength={_signal_strength(phone)}",
        "    mMessageWaiting=false",
        "    mCallForwarding=false",
        "    mDataActivity=0",
        f"    mDataConnectionState={2 if serving else 0}",
        "    mCellIdentity=null",
        "  local logs:",
    ]
    return "\n".join(lines) + "\n"


def siminfo(phone: Phone, projection: list[str] | None) -> str:
    """`content query --uri content://telephony/siminfo` (the SubscriptionManager table)."""
    if phone.sim_state == "ABSENT":
        return "No result found.\n"
    mcc, mnc = phone.operator[:3], phone.operator[3:]
    row = {"_id": "1", "icc_id": phone.iccid, "sim_id": "0", "display_name": phone.operator_name,
           "carrier_name": phone.operator_name, "mcc_string": mcc, "mnc_string": mnc, "imsi": phone.imsi}
    cols = projection or list(row)
    return "Row: 0 " + ", ".join(f"{c}={row.get(c, 'NULL')}" for c in cols) + "\n"


def uptime(seconds_up: float, now: float) -> str:
    """toybox `uptime`: ` 12:34:56 up 2 days,  3:04,  0 users,  load average: 0.31, 0.42, 0.40`."""
    clock = time.strftime("%H:%M:%S", time.gmtime(now))
    minutes = int(seconds_up // 60)
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    span = f"{days} day{'s' if days != 1 else ''}, " if days else ""
    span += f"{hours:2d}:{mins:02d}" if hours else f"{mins} min"
    return f" {clock} up {span},  0 users,  load average: 0.31, 0.42, 0.40\n"


SHELL_ID = ("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),"
            "1028(sdcard_r),3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc) "
            "context=u:r:shell:s0\n")
