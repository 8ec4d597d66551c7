"""An alert as the consumer hands it to the job: a 40-year-old rider (Tanaka limit 180 bpm)."""
import json

RIDER = {"user_id": 100, "name": "Mr Steven Pearce", "gender": "male",
         "address": "0 Simpson locks,Wilkinsonshire,E68 8SH",
         "date_of_birth": 379900800000,  # 1982-01-15
         "email_address": "steven.p@gmail.com", "height_cm": 167, "weight_kg": 83,
         "account_create_date": 1647993600000, "bike_serial": "SN0000", "original_source": "direct"}


def alert_kwargs(duration_s: int = 3, heart_rate: int = 187, **rider_changes) -> dict:
    """The keyword arguments of one send_hr_alert job (the live store's text form for times)."""
    rider = json.loads(json.dumps(RIDER)) | rider_changes
    return {"bike_serial": "SN0000", "ride_started_at": "2022-07-06 23:29:35.935822+00:00",
            "duration_s": duration_s,
            "recorded_at": f"2022-07-06 23:29:{35 + duration_s}.435842+00:00",
            "heart_rate": heart_rate, "hr_limit_bpm": 180.0, "hr_formula": "tanaka", "rider": rider}
