@echo off
rem Synaq student app: install from this kit, with no internet (Windows 10 1903+, Python 3.11-3.13).
setlocal
set "HERE=%~dp0"
set "TARGET=%LOCALAPPDATA%\Synaq\student-app"
where py >nul 2>nul && (py -3 -m venv "%TARGET%") || (python -m venv "%TARGET%")
if errorlevel 1 (
  echo Python 3.11, 3.12 or 3.13 is needed: install it first, then run install.bat again.
  exit /b 1
)
"%TARGET%\Scripts\python.exe" -m pip install --no-index --find-links "%HERE%wheels\windows" synaq-student
if errorlevel 1 exit /b 1
copy /y "%HERE%start-synaq.bat" "%USERPROFILE%\Desktop\Synaq.bat" >nul
echo Installed. The desktop shortcut "Synaq" starts the app.
